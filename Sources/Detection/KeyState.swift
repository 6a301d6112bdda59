import EQL

/// The events of one (rule, join key) that matched a stage, in sequence order, and the pending sequences they form.
///
/// Pending state is a pure function of `history`: a late event inserted in the middle makes the state be rebuilt
/// from the history, so an out-of-order arrival within the allowed lateness pairs as if it had come in order.
final class KeyState {
    struct Entry {
        var event: StoredEvent
        /// Bit `i` is set when the event matched stage `i`.
        var stageMask: UInt64
        var isUntil: Bool
        /// The event's time for this rule: `@timestamp`, or the rule's timestamp override.
        var time: Int64
        /// The rule's tiebreaker field value, if the rule sets one.
        var tiebreaker: EQLValue?

        /// Orders entries as Elasticsearch orders sequence events: by time, then by the tiebreaker (events without
        /// one after those with one), then by arrival.
        func isBefore(_ other: Entry) -> Bool {
            if time != other.time { return time < other.time }
            switch (tiebreaker, other.tiebreaker) {
            case (let left?, let right?):
                if let order = EQLValueOrder.compare(left, right), order != 0 { return order < 0 }
            case (.some, nil):
                return true
            case (nil, .some):
                return false
            case (nil, nil):
                break
            }
            return event.arrival < other.event.arrival
        }
    }

    /// A partial sequence: the events matched so far, one per stage from the first.
    struct Pending {
        var entries: [Entry]
        var firstTime: Int64 { entries[0].time }
        var events: [StoredEvent] { entries.map(\.event) }
    }

    private(set) var history: [Entry] = []
    /// `pending[i]` contains sequences that matched stages 0...i and wait for stage i + 1, oldest first.
    private var pending: [[Pending]]
    /// How many history entries `pending` reflects; less than `history.count` after an out-of-order insert or a prune.
    private var appliedCount = 0
    /// Arrivals of events that already ended an emitted sequence; such an event never ends another one.
    private var emittedTerminals: Set<Int64> = []

    private let stageCount: Int
    private let window: Int64

    init(stageCount: Int, window: Int64) {
        self.stageCount = stageCount
        self.window = window
        self.pending = Array(repeating: [], count: max(stageCount - 1, 0))
    }

    var isEmpty: Bool { history.isEmpty }

    /// Adds an event and returns the sequences it completes, including ones an out-of-order event completes at an
    /// event that came earlier.
    func insert(_ entry: Entry) -> [[StoredEvent]] {
        var position = history.count
        while position > 0 && entry.isBefore(history[position - 1]) {
            position -= 1
        }
        history.insert(entry, at: position)
        var completed: [[StoredEvent]] = []
        if appliedCount != history.count - 1 || position != history.count - 1 {
            rebuild(into: &completed)
        } else {
            apply(history[position], into: &completed)
            appliedCount = history.count
        }
        return completed
    }

    /// Drops events older than `horizon`; no sequence that ends at or after the watermark can use them.
    func prune(before horizon: Int64) {
        var cut = 0
        while cut < history.count && history[cut].time < horizon {
            emittedTerminals.remove(history[cut].event.arrival)
            cut += 1
        }
        guard cut > 0 else { return }
        history.removeFirst(cut)
        appliedCount = 0
        pending = Array(repeating: [], count: pending.count)
    }

    private func rebuild(into completed: inout [[StoredEvent]]) {
        pending = Array(repeating: [], count: pending.count)
        for entry in history {
            apply(entry, into: &completed)
        }
        appliedCount = history.count
    }

    /// Steps the sequence state machine over one event, in sequence order.
    private func apply(_ entry: Entry, into completed: inout [[StoredEvent]]) {
        if entry.isUntil {
            // An until event ends every sequence of its key that is still waiting for a later stage.
            for stage in pending.indices { pending[stage].removeAll() }
        }
        if stageCount == 1 {
            if entry.stageMask & 1 != 0 { complete([entry], into: &completed) }
            return
        }
        // Later stages first, so that an event that matches two stages ends one sequence before starting another,
        // and never pairs with itself.
        for stage in stride(from: stageCount - 1, through: 1, by: -1) where entry.stageMask & (1 << stage) != 0 {
            guard let previous = pending[stage - 1].last(where: { $0.entries.last!.isBefore(entry) }) else { continue }
            // The stage takes the latest earlier sequence and removes it and every older one.
            pending[stage - 1].removeAll { !entry.isBefore($0.entries.last!) }
            guard entry.time.subtractingSaturated(previous.firstTime) <= window else { continue }
            var advanced = previous
            advanced.entries.append(entry)
            if stage == stageCount - 1 {
                complete(advanced.entries, into: &completed)
            } else {
                pending[stage].append(advanced)
            }
        }
        if entry.stageMask & 1 != 0 {
            // One pending sequence per key at the first stage: a newer start replaces the older one.
            pending[0] = [Pending(entries: [entry])]
        }
    }

    private func complete(_ entries: [Entry], into completed: inout [[StoredEvent]]) {
        let terminal = entries.last!.event.arrival
        guard !emittedTerminals.contains(terminal) else { return }
        emittedTerminals.insert(terminal)
        completed.append(entries.map(\.event))
    }
}
