/// Why a message could not be used as an event.
///
/// Every rejected message is counted under one of these reasons, and the reason's `rawValue` is the label used in
/// logs, metrics and the dead-letter header.
public enum DecodeFailureReason: String, CaseIterable, Sendable {
    case invalidJSON = "invalid_json"
    case notAnObject = "not_an_object"
    case invalidUTF8 = "invalid_utf8"
    case oversized = "oversized"
    case wrongFieldType = "wrong_field_type"
    case unparseableTimestamp = "unparseable_timestamp"
    case missingTimestamp = "missing_timestamp"
}

/// A message that is not a usable event, with the reason and where in the message decoding stopped.
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public var reason: DecodeFailureReason
    /// Byte offset into the message where the problem was found.
    public var byteOffset: Int
    public var detail: String

    public init(_ reason: DecodeFailureReason, at byteOffset: Int, _ detail: String) {
        self.reason = reason
        self.byteOffset = byteOffset
        self.detail = detail
    }

    public var description: String {
        "\(reason.rawValue) at byte \(byteOffset): \(detail)"
    }
}
