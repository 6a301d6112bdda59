import EQL

/// One decoded event: its time and the values of the fields that rules read.
public struct DecodedEvent: FieldSource, Sendable {
    /// Event time (the timestamp field), nanoseconds since the epoch.
    public var time: EventTime
    /// Values indexed by the slots of the decoder's ``FieldTable``; `nil` where the event lacks the field.
    public var slots: [EQLValue?]
    /// Set when the decoder ran a ``RelevanceTest``: that test's id, and whether the event may match a rule.
    /// An event that may not match keeps its time but not its slots.
    public var relevance: (testID: Int, mayMatch: Bool)?

    public init(time: EventTime, slots: [EQLValue?]) {
        self.time = time
        self.slots = slots
    }

    public func value(atSlot slot: Int) -> EQLValue? {
        slot < slots.count ? slots[slot] : nil
    }
}
