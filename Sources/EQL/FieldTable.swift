/// The dotted field names that a set of compiled rules reads, each mapped to a dense slot number.
///
/// Rules register every field they reference at compile time. The event decoder then fills only those
/// slots, so no per-event dictionary is built. A table is filled before decoding starts and only read after.
public final class FieldTable: @unchecked Sendable {
    public private(set) var names: [String] = []
    private var slots: [String: Int] = [:]

    public init() {}

    /// Returns the slot of `name`, adding the name when it is new.
    @discardableResult
    public func slot(for name: String) -> Int {
        if let existing = slots[name] {
            return existing
        }
        let slot = names.count
        names.append(name)
        slots[name] = slot
        return slot
    }

    /// Returns the slot of `name`, or `nil` when no rule reads it.
    public func lookup(_ name: String) -> Int? {
        slots[name]
    }

    public var count: Int { names.count }
}
