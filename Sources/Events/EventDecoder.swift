import EQL

/// Decodes ECS events from JSON, reading only the fields registered in a ``FieldTable``.
///
/// A decoder is built once for a rule set and reused for every message; it keeps no per-message state.
public struct EventDecoder: Sendable {
    /// The field that carries event time, `@timestamp` unless a rule overrides it.
    public let timestampField: String
    /// Messages larger than this many bytes are rejected as ``DecodeFailureReason/oversized``.
    public let maxMessageBytes: Int

    private let trie: FieldTrie
    private let slotCount: Int
    private let timestampSlot: Int

    /// Creates a decoder for the fields in `fields`, registering `timestampField` in the table as well.
    public init(fields: FieldTable, timestampField: String = "@timestamp", maxMessageBytes: Int = 1_048_576) {
        self.timestampField = timestampField
        self.maxMessageBytes = maxMessageBytes
        self.timestampSlot = fields.slot(for: timestampField)
        self.slotCount = fields.count
        self.trie = FieldTrie(table: fields)
    }

    /// Decodes one message.
    ///
    /// - Throws: ``DecodeError`` naming the reason the message is not a usable event.
    public func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> DecodedEvent {
        guard message.count <= maxMessageBytes else {
            throw DecodeError(.oversized, at: 0, "the message has \(message.count) bytes, over the limit of \(maxMessageBytes)")
        }
        var scanner = JSONScanner(bytes: message, slotCount: slotCount, trie: trie)
        try scanner.scanDocument()
        if scanner.slots[timestampSlot] == nil && scanner.objectSlots.contains(timestampSlot) {
            throw DecodeError(.wrongFieldType, at: 0, "\(timestampField) must be a date string or epoch milliseconds, not an object")
        }
        let time = try eventTime(scanner.slots[timestampSlot])
        return DecodedEvent(time: time, slots: scanner.slots)
    }

    /// Decodes one message held in an array.
    public func decode(_ message: [UInt8]) throws(DecodeError) -> DecodedEvent {
        var result: Result<DecodedEvent, DecodeError>!
        message.withUnsafeBytes { buffer in
            do throws(DecodeError) {
                result = .success(try decode(buffer))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private func eventTime(_ value: EQLValue?) throws(DecodeError) -> EventTime {
        switch value {
        case nil, .null?:
            throw DecodeError(.missingTimestamp, at: 0, "the event has no \(timestampField)")
        case .string(let text)?:
            guard let time = Timestamp.parse(Array(text.utf8)) else {
                throw DecodeError(.unparseableTimestamp, at: 0, "\(timestampField) \"\(text.prefix(64))\" is not an ISO 8601 date-time")
            }
            return time
        case .integer(let millis)?:
            // Elasticsearch's date type also takes epoch milliseconds.
            let (nanos, overflow) = millis.multipliedReportingOverflow(by: 1_000_000)
            guard !overflow else {
                throw DecodeError(.unparseableTimestamp, at: 0, "\(timestampField) \(millis) is out of range for epoch milliseconds")
            }
            return nanos
        case .array(let items)? where items.count == 1:
            return try eventTime(items[0])
        case let other?:
            throw DecodeError(.wrongFieldType, at: 0, "\(timestampField) must be a date string or epoch milliseconds, not \(other.typeName)")
        }
    }
}

extension EQLValue {
    /// The JSON type name of the value, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        }
    }
}

