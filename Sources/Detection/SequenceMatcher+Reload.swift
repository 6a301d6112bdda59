extension SequenceMatcher {
    /// Returns a matcher for `rules` that continues this one: the same event time, counters and arrival order,
    /// and the pending sequences of each rule that `kept` maps from its index in `rules` to its index here.
    ///
    /// Rules not in `kept` start with no state. A kept rule must read its fields from the same slots as before,
    /// because its stored events were decoded with the previous field table.
    public func carryingState(to rules: [CompiledRule], settings: MatcherSettings, kept: [Int: Int]) -> SequenceMatcher {
        let next = SequenceMatcher(rules: rules, settings: settings, restoredMaxTime: maxTime)
        next.lateEvents = lateEvents
        next.evictedEvents = evictedEvents
        next.futureEvents = futureEvents
        next.nextArrival = nextArrival
        var held = 0
        for (newIndex, oldIndex) in kept {
            next.states[newIndex] = states[oldIndex]
            held += states[oldIndex].values.reduce(0) { $0 + $1.history.count }
        }
        next.heldEvents = held
        return next
    }
}
