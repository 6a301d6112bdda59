/// A field value as the EQL engine sees it.
///
/// Objects are not values: a field path that names an object is treated as missing by the decoder.
/// A JSON array becomes `.array`, and predicates match when any element matches.
public enum EQLValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    indirect case array([EQLValue])

    /// Compares strings by their UTF-8 bytes, as Elasticsearch compares keywords. Swift's own string equality
    /// would also match text that is only canonically equivalent, such as a precomposed and a decomposed "é".
    public static func == (lhs: EQLValue, rhs: EQLValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0)
        case .bool(let value):
            hasher.combine(1)
            hasher.combine(value)
        case .integer(let value):
            hasher.combine(2)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(3)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(4)
            var text = value
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        case .array(let items):
            hasher.combine(5)
            hasher.combine(items.count)
            for item in items { item.hash(into: &hasher) }
        }
    }
}

/// A source of field values for one event, addressed by the slots of a ``FieldTable``.
public protocol FieldSource {
    /// Returns the value stored at `slot`, or `nil` when the event does not have the field.
    func value(atSlot slot: Int) -> EQLValue?
}
