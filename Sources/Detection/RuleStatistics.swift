/// Counts one matcher keeps for one rule, for metrics.
public struct RuleStatistics: Sendable, Equatable {
    /// Events that matched each stage's filter, by stage index. An event that matches two stages counts in both.
    public var stageMatches: [Int]
    /// Events held for the rule's sequences that are not complete yet.
    public var heldEvents = 0
    /// Join keys with held events. Filled in by ``SequenceMatcher/ruleStatistics()``.
    public var heldKeys = 0
    /// Held events dropped at the cap on held events.
    public var evictedEvents = 0

    public init(stageCount: Int) {
        stageMatches = Array(repeating: 0, count: stageCount)
    }
}
