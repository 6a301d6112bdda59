import EQL
import Events

extension CompiledRule {
    /// Returns the event's time for this rule: its `timestamp_override` field when the rule sets one, else `@timestamp`.
    /// Returns `nil` when the override field is missing or not a date, so the rule skips the event as
    /// Elasticsearch's search would.
    public func time(of event: DecodedEvent) -> Int64? {
        guard let slot = timestampSlot else { return event.time }
        var value = event.value(atSlot: slot)
        if case .array(let items)? = value, items.count == 1 { value = items[0] }
        switch value {
        case .string(let text)?:
            return Timestamp.parse(Array(text.utf8))
        case .integer(let millis)?:
            let (nanos, overflow) = millis.multipliedReportingOverflow(by: 1_000_000)
            return overflow ? nil : nanos
        default:
            return nil
        }
    }

    /// Returns the event's `tiebreaker_field` value, or `nil` when the rule sets none or the event lacks it.
    public func tiebreaker(of event: DecodedEvent) -> EQLValue? {
        guard let slot = tiebreakerSlot, let value = event.value(atSlot: slot), value != .null else { return nil }
        return value
    }
}
