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
}

/// A source of field values for one event, addressed by the slots of a ``FieldTable``.
public protocol FieldSource {
    /// Returns the value stored at `slot`, or `nil` when the event does not have the field.
    func value(atSlot slot: Int) -> EQLValue?
}
