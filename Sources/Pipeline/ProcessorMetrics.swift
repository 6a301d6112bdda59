import Detection
import Kafka
import Metrics

/// The counts a processor keeps for metrics beyond ``Counters``, and the board it publishes snapshots to.
///
/// Not thread-safe: the processor's consumer thread records into it and builds every snapshot, so recording takes
/// no lock. Other threads read only the snapshots on ``board``.
public final class ProcessorMetrics {
    public let board: MetricsBoard
    /// How often the consumer thread publishes a snapshot; scrapes and probes see values at most this old.
    static let publishInterval: Duration = .milliseconds(250)
    var nextPublish = ContinuousClock.now

    var consumed = PartitionCounts()
    var alertsByRule: [String: Int] = [:]
    var rebalances = RebalanceCounts()
    var commitDurations = Histogram(upperBounds: Histogram.latencyBounds)
    var commitFailures = CommitFailureCounts()
    /// Start of each commit request still unanswered, by one of its partitions and the offset and metadata sent.
    private var pendingCommits: [CommittedPosition: ContinuousClock.Instant] = [:]
    /// The matchers of the lanes seen at the last snapshot, so that a revoked lane's counts outlive the lane.
    private var knownMatchers: [ObjectIdentifier: SequenceMatcher] = [:]
    /// Counts of matchers whose lanes are gone; only the counters among them are kept.
    private var retiredStatistics: [RuleStatistics]?

    public init(board: MetricsBoard) {
        self.board = board
    }

    func countConsumed(topic: String, partition: Int32) {
        consumed.add(topic: topic, partition: partition)
    }

    func countAlert(ruleID: String) {
        alertsByRule[ruleID, default: 0] += 1
    }

    func countRebalance(_ kind: RebalanceKind) {
        switch kind {
        case .assigned: rebalances.assigned += 1
        case .revoked: rebalances.revoked += 1
        case .lost: rebalances.lost += 1
        }
    }

    /// Records when a commit of `offsets` was requested.
    func commitRequested(_ offsets: [TopicPartition: CommittedOffset], at instant: ContinuousClock.Instant = .now) {
        // A request whose result never arrives (the consumer closed, or every partition failed) is forgotten
        // after a minute, so the table stays small.
        pendingCommits = pendingCommits.filter { instant - $0.value < .seconds(60) }
        for (partition, committed) in offsets {
            pendingCommits[CommittedPosition(partition: partition, offset: committed)] = instant
        }
    }

    /// Observes the latency of the request that committed `stored`, once per request, and counts a failed result.
    ///
    /// A synchronous commit reports its result twice: directly, without failures, and again through librdkafka's
    /// commit callback. Matching requests by offset and counting failures only from results that carry them keeps
    /// both counts at one per request.
    func commitCompleted(stored: [TopicPartition: CommittedOffset], failed: [TopicPartition: KafkaError],
                         at instant: ContinuousClock.Instant = .now) {
        if let error = failed.values.first {
            if error.isRebalanceConflict { commitFailures.rebalance += 1 } else { commitFailures.error += 1 }
        }
        var started: ContinuousClock.Instant?
        for (partition, committed) in stored {
            guard let start = pendingCommits.removeValue(forKey: CommittedPosition(partition: partition, offset: committed))
            else { continue }
            started = min(started ?? start, start)
        }
        if let started { commitDurations.observe(instant - started) }
    }

    /// Returns the per-rule counts over every lane since the start, with held events and keys of the current lanes.
    ///
    /// A lane revoked since the last call has its counters folded into the retired totals, so that counters never
    /// go down.
    func ruleStatistics(lanes: some Sequence<Lane>) -> [RuleStatistics] {
        var current: [ObjectIdentifier: SequenceMatcher] = [:]
        for lane in lanes { current[ObjectIdentifier(lane.matcher)] = lane.matcher }
        for (identifier, matcher) in knownMatchers where current[identifier] == nil {
            var statistics = matcher.ruleStatistics()
            for index in statistics.indices {
                statistics[index].heldEvents = 0
                statistics[index].heldKeys = 0
            }
            retiredStatistics = Self.sum(retiredStatistics, statistics)
        }
        knownMatchers = current
        var total = retiredStatistics
        for matcher in current.values {
            total = Self.sum(total, matcher.ruleStatistics())
        }
        return total ?? []
    }

    private static func sum(_ lhs: [RuleStatistics]?, _ rhs: [RuleStatistics]) -> [RuleStatistics] {
        guard var result = lhs else { return rhs }
        for (index, statistics) in rhs.enumerated() where index < result.count {
            for stage in statistics.stageMatches.indices where stage < result[index].stageMatches.count {
                result[index].stageMatches[stage] += statistics.stageMatches[stage]
            }
            result[index].heldEvents += statistics.heldEvents
            result[index].heldKeys += statistics.heldKeys
            result[index].evictedEvents += statistics.evictedEvents
        }
        return result
    }
}

/// A partition's committed offset as the commit request and its result both carry it.
struct CommittedPosition: Hashable {
    var partition: TopicPartition
    var offset: Int64
    var metadata: String

    init(partition: TopicPartition, offset: CommittedOffset) {
        self.partition = partition
        self.offset = offset.offset
        self.metadata = offset.metadata
    }
}

enum RebalanceKind {
    case assigned
    case revoked
    /// Revoked without a chance to commit, because another member may already own the partitions.
    case lost
}

/// Commit results that reported a failure, by cause.
public struct CommitFailureCounts: Sendable, Equatable {
    /// Rejected because the group was rebalancing or the generation changed; the next owner replays further back.
    public var rebalance = 0
    /// Every other failure; the next commit interval commits again.
    public var error = 0
}

/// Rebalance callbacks served, by kind.
public struct RebalanceCounts: Sendable, Equatable {
    public var assigned = 0
    public var revoked = 0
    public var lost = 0
}

/// Message counts per topic and partition.
///
/// Indexed by partition number, with a short list of topics per partition, so counting a message costs an array
/// index and a string comparison that the consumer's cached topic names make a pointer comparison.
public struct PartitionCounts: Sendable {
    private var slots: [[(topic: String, count: Int)]] = []

    public init() {}

    public mutating func add(topic: String, partition: Int32) {
        let index = Int(partition)
        guard index >= 0 else { return }
        if index >= slots.count {
            slots.append(contentsOf: Array(repeating: [], count: index - slots.count + 1))
        }
        if let position = slots[index].firstIndex(where: { $0.topic == topic }) {
            slots[index][position].count += 1
        } else {
            slots[index].append((topic, 1))
        }
    }

    /// Every count, sorted by topic and partition.
    public var entries: [(partition: TopicPartition, count: Int)] {
        var result: [(partition: TopicPartition, count: Int)] = []
        for (index, slot) in slots.enumerated() {
            for entry in slot {
                result.append((TopicPartition(topic: entry.topic, partition: Int32(index)), entry.count))
            }
        }
        return result.sorted { $0.partition < $1.partition }
    }
}
