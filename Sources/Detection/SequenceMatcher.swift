import EQL
import Events

/// Settings that bound a matcher's time and memory.
public struct MatcherSettings: Sendable {
    /// How far behind the latest event time an event may arrive and still be matched, in nanoseconds.
    public var allowedLateness: Int64
    /// Upper bound on events held across all rules and keys of one partition.
    public var maxHeldEvents: Int
    /// How far ahead of the wall clock an event's time may be before it is counted as coming from a host whose
    /// clock runs ahead, in nanoseconds. Such an event is still matched.
    public var maxClockSkew: Int64

    public init(allowedLateness: Duration = .seconds(240), maxHeldEvents: Int = 100_000,
                maxClockSkew: Duration = .seconds(300)) {
        self.allowedLateness = CompiledRule.nanoseconds(allowedLateness)
        self.maxHeldEvents = maxHeldEvents
        self.maxClockSkew = CompiledRule.nanoseconds(maxClockSkew)
    }
}

/// Runs every rule's sequence matching over the events of one partition, in event time.
///
/// Not thread-safe: each partition lane owns one matcher and feeds it from one thread.
public final class SequenceMatcher {
    /// The outcome of matching one event.
    public enum Outcome {
        /// The event is older than the watermark allows; it was not matched.
        case late(watermark: EventTime)
        case processed([SequenceMatch])
    }

    public let rules: [CompiledRule]
    public let settings: MatcherSettings
    /// The greatest event time seen so far.
    public internal(set) var maxTime: EventTime?
    public internal(set) var heldEvents = 0
    public internal(set) var lateEvents = 0
    public internal(set) var evictedEvents = 0
    /// Events whose time was further ahead of the wall clock than the allowed skew.
    public internal(set) var futureEvents = 0

    var states: [[[EQLValue]: KeyState]]
    /// Per-rule counts, indexed like `rules`; ``ruleStatistics()`` adds the key counts.
    var statistics: [RuleStatistics]
    var nextArrival: Int64 = 0

    public init(rules: [CompiledRule], settings: MatcherSettings, restoredMaxTime: EventTime? = nil) {
        self.rules = rules
        self.settings = settings
        self.maxTime = restoredMaxTime
        self.states = Array(repeating: [:], count: rules.count)
        self.statistics = rules.map { RuleStatistics(stageCount: $0.stages.count) }
    }

    /// Event time below which events are late: the latest event time seen minus the allowed lateness.
    public var watermark: EventTime? {
        maxTime.map { $0.subtractingSaturated(settings.allowedLateness) }
    }

    /// Matches one decoded event. `raw` is the message, kept only when the event matches a stage.
    ///
    /// `wallClock` is the current time in nanoseconds since the epoch; the watermark never passes it.
    public func process(_ event: DecodedEvent, raw: UnsafeRawBufferPointer, at coordinates: EventCoordinates,
                        wallClock: Int64 = .max) -> Outcome {
        if let watermark, event.time < watermark {
            lateEvents += 1
            return .late(watermark: watermark)
        }
        let maxTimeBefore = maxTime
        // The watermark follows event time but never passes the wall clock, so one event from a host whose clock
        // runs ahead cannot make every later event of its partition look late. An event further ahead than the
        // allowed skew does not move the watermark at all, so it cannot turn a backlog that is still being read
        // into late events either; it is counted, so that the skew is visible.
        // NOTE: the cap depends on the wall clock, so a replay after a restart may judge events that came after a
        // future-dated one differently.
        var advance = min(event.time, wallClock)
        let isFutureDated = event.time > wallClock.addingSaturated(settings.maxClockSkew)
        if isFutureDated {
            futureEvents += 1
            advance = maxTime ?? .min
        }
        if advance != .min { maxTime = max(maxTime ?? advance, advance) }
        let arrival = nextArrival
        nextArrival += 1

        // The decoder's relevance test already found that no stage of any rule matches: only time moves.
        if event.relevance?.mayMatch == false { return .processed([]) }

        var stored: StoredEvent?
        var matches: [SequenceMatch] = []
        for (ruleIndex, rule) in rules.enumerated() {
            var mask: UInt64 = 0
            for (stageIndex, stage) in rule.stages.enumerated() where stage.filter.matches(event) {
                mask |= 1 << UInt64(stageIndex)
            }
            let isUntil = rule.until?.filter.matches(event) ?? false
            guard mask != 0 || isUntil else { continue }
            for stageIndex in rule.stages.indices where mask & (1 << UInt64(stageIndex)) != 0 {
                statistics[ruleIndex].stageMatches[stageIndex] += 1
            }
            // A rule with a timestamp override orders its events by that field; an event without it is not one
            // the rule's search would return.
            guard let ruleTime = rule.time(of: event) else { continue }
            let tiebreaker = rule.tiebreaker(of: event)

            if stored == nil {
                stored = StoredEvent(
                    coordinates: coordinates, time: event.time, arrival: arrival, maxTimeBefore: maxTimeBefore,
                    raw: Array(raw), decoded: event, isFutureDated: isFutureDated)
            }
            for (key, keyMask) in keysByStage(of: event, rule: rule, mask: mask) {
                let keyIsUntil = isUntil && key == untilKey(of: event, rule: rule, matching: key)
                let entry = KeyState.Entry(
                    event: stored!, stageMask: keyMask, isUntil: keyIsUntil, time: ruleTime, tiebreaker: tiebreaker)
                let state = keyState(rule: ruleIndex, key: key)
                let before = state.history.count
                state.prune(before: horizon(for: rule))
                heldEvents -= before - state.history.count
                for events in state.insert(entry) {
                    matches.append(SequenceMatch(ruleIndex: ruleIndex, key: key, events: events))
                }
                heldEvents += 1
                statistics[ruleIndex].heldEvents += state.history.count - before
            }
        }
        if heldEvents > settings.maxHeldEvents {
            evictOldest()
        }
        return .processed(matches)
    }

    /// Returns a test of whether an event matches a stage or the `until` condition of one of `rules`. An event
    /// that does not changes nothing but the time, so a decoder can run this test and drop the event's values early.
    public static func relevanceTest(for rules: [CompiledRule]) -> RelevanceTest {
        let filters = rules.flatMap { rule in rule.stages.map(\.filter) + (rule.until.map { [$0.filter] } ?? []) }
        return RelevanceTest(requirements: filters.map(\.requirement)) { event in
            for filter in filters where filter.matches(event) { return true }
            return false
        }
    }

    /// Drops held events that can no longer take part in a sequence. `idleExtension` moves the horizon further
    /// (nanoseconds), for a partition that has been idle in wall-clock time.
    public func expire(idleExtension: Int64 = 0) {
        for ruleIndex in rules.indices {
            let horizon = horizon(for: rules[ruleIndex]).addingSaturated(idleExtension)
            for (key, state) in states[ruleIndex] {
                let before = state.history.count
                state.prune(before: horizon)
                heldEvents -= before - state.history.count
                statistics[ruleIndex].heldEvents -= before - state.history.count
                if state.isEmpty { states[ruleIndex][key] = nil }
            }
        }
    }

    /// For each topic, the held event with the lowest offset: a restart must resume there to rebuild the state.
    ///
    /// Future-dated events are left out, because they can be held until the wall clock reaches their time and
    /// would otherwise stop the checkpoint for that long. A restart drops them, so a sequence that a future-dated
    /// event started and that completes after the restart is not found.
    public func oldestHeldEvents() -> [String: StoredEvent] {
        var oldest: [String: StoredEvent] = [:]
        for ruleStates in states {
            for state in ruleStates.values {
                for entry in state.history where !entry.event.isFutureDated {
                    let event = entry.event
                    if let current = oldest[event.coordinates.topic], current.coordinates.offset <= event.coordinates.offset {
                        continue
                    }
                    oldest[event.coordinates.topic] = event
                }
            }
        }
        return oldest
    }

    /// Returns the per-rule counts, indexed like `rules`, with the current number of join keys holding events.
    public func ruleStatistics() -> [RuleStatistics] {
        var result = statistics
        for ruleIndex in rules.indices {
            result[ruleIndex].heldKeys = states[ruleIndex].count
        }
        return result
    }

    // MARK: Private

    private func horizon(for rule: CompiledRule) -> Int64 {
        guard let watermark else { return .min }
        return watermark.subtractingSaturated(rule.window)
    }

    private func keyState(rule ruleIndex: Int, key: [EQLValue]) -> KeyState {
        if let state = states[ruleIndex][key] { return state }
        let rule = rules[ruleIndex]
        let state = KeyState(stageCount: rule.stages.count, window: rule.window)
        states[ruleIndex][key] = state
        return state
    }

    /// Groups the stages an event matched by the join key each stage reads.
    private func keysByStage(of event: DecodedEvent, rule: CompiledRule, mask: UInt64) -> [([EQLValue], UInt64)] {
        var grouped: [([EQLValue], UInt64)] = []
        for (stageIndex, stage) in rule.stages.enumerated() where mask & (1 << UInt64(stageIndex)) != 0 {
            for key in JoinKey.values(of: event, fields: stage.keys) {
                if let index = grouped.firstIndex(where: { $0.0 == key }) {
                    grouped[index].1 |= 1 << UInt64(stageIndex)
                } else {
                    grouped.append((key, 1 << UInt64(stageIndex)))
                }
            }
        }
        if let until = rule.until, until.filter.matches(event) {
            for key in JoinKey.values(of: event, fields: until.keys) where !grouped.contains(where: { $0.0 == key }) {
                grouped.append((key, 0))
            }
        }
        return grouped
    }

    private func untilKey(of event: DecodedEvent, rule: CompiledRule, matching key: [EQLValue]) -> [EQLValue]? {
        guard let until = rule.until else { return nil }
        return JoinKey.values(of: event, fields: until.keys).first { $0 == key }
    }

    /// Evicts the keys holding the oldest events until the partition is under its cap.
    private func evictOldest() {
        var candidates: [(time: Int64, rule: Int, key: [EQLValue], count: Int)] = []
        for (ruleIndex, ruleStates) in states.enumerated() {
            for (key, state) in ruleStates {
                guard let newest = state.history.last else { continue }
                candidates.append((newest.event.time, ruleIndex, key, state.history.count))
            }
        }
        candidates.sort { $0.time < $1.time }
        // Evict down to 90% of the cap so that eviction does not run on every event.
        let target = settings.maxHeldEvents - settings.maxHeldEvents / 10
        for candidate in candidates where heldEvents > target {
            states[candidate.rule][candidate.key] = nil
            heldEvents -= candidate.count
            evictedEvents += candidate.count
            statistics[candidate.rule].heldEvents -= candidate.count
            statistics[candidate.rule].evictedEvents += candidate.count
        }
    }
}
