import Detection
import Kafka
import Metrics

/// The values the consumer thread publishes for scrapes and probes, copied at one instant.
public struct MetricsSnapshot: Sendable {
    /// When the consumer thread took the snapshot; it takes one at least every 250 ms while its loop runs.
    public var takenAt: ContinuousClock.Instant
    public var counters = Counters()
    public var consumed: [(partition: TopicPartition, count: Int)] = []
    /// Assigned partitions; `lag` is `nil` until librdkafka has received the partition's high watermark.
    public var assigned: [(partition: TopicPartition, lag: Int64?)] = []
    public var rules: [RuleSnapshot] = []
    public var rebalances = RebalanceCounts()
    public var commitDurations = Histogram(upperBounds: Histogram.latencyBounds)
    public var commitFailures = CommitFailureCounts()
    /// Messages in the alert producer's queue that the brokers have not acknowledged yet.
    public var producerQueueLength = 0

    public init(takenAt: ContinuousClock.Instant) {
        self.takenAt = takenAt
    }

    /// Messages between the next offset to process and the high watermark, summed over assigned partitions whose
    /// lag is known.
    public var totalLag: Int64 {
        assigned.compactMap(\.lag).reduce(0, +)
    }
}

/// One rule's counts in a snapshot.
public struct RuleSnapshot: Sendable {
    public var ruleID: String
    public var statistics: RuleStatistics
    public var alertsProduced: Int

    public init(ruleID: String, statistics: RuleStatistics, alertsProduced: Int) {
        self.ruleID = ruleID
        self.statistics = statistics
        self.alertsProduced = alertsProduced
    }
}

/// The outcome of a health or readiness probe, with a short reason for people reading it.
public struct ProbeResult: Sendable, Equatable {
    public var isPassing: Bool
    public var reason: String
}

/// Thresholds of the health and readiness probes.
public struct ProbeSettings: Sendable {
    /// `/healthz` fails when the consumer loop has published no snapshot for this long.
    public var healthTimeout: Duration
    /// `/readyz` fails while the member is more than this many messages behind the end of its partitions.
    public var maxReadyLag: Int64

    public init(healthTimeout: Duration, maxReadyLag: Int64) {
        self.healthTimeout = healthTimeout
        self.maxReadyLag = maxReadyLag
    }
}

extension MetricsSnapshot {
    /// Passes while the consumer loop has published a snapshot within the health timeout.
    public func health(now: ContinuousClock.Instant, settings: ProbeSettings) -> ProbeResult {
        let age = now - takenAt
        guard age <= settings.healthTimeout else {
            return ProbeResult(
                isPassing: false,
                reason: "consumer loop made no progress for \(Self.seconds(age))s (metrics.health.timeout is "
                    + "\(Self.seconds(settings.healthTimeout))s)")
        }
        return ProbeResult(isPassing: true, reason: "ok")
    }

    /// Passes when the loop is healthy, partitions are assigned, every assigned partition's lag is known, and the
    /// total lag is at most the configured maximum.
    public func readiness(now: ContinuousClock.Instant, settings: ProbeSettings, isStopping: Bool) -> ProbeResult {
        if isStopping { return ProbeResult(isPassing: false, reason: "stopping") }
        let health = health(now: now, settings: settings)
        guard health.isPassing else { return health }
        guard !assigned.isEmpty else { return ProbeResult(isPassing: false, reason: "no partitions assigned") }
        if let unknown = assigned.first(where: { $0.lag == nil }) {
            return ProbeResult(isPassing: false, reason: "lag of \(unknown.partition) is not known yet")
        }
        guard totalLag <= settings.maxReadyLag else {
            return ProbeResult(
                isPassing: false,
                reason: "\(totalLag) messages behind the end of the assigned partitions "
                    + "(metrics.ready.max.lag is \(settings.maxReadyLag))")
        }
        return ProbeResult(
            isPassing: true, reason: "ready: \(assigned.count) partitions assigned, \(totalLag) messages behind")
    }

    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = attoseconds / 100_000_000_000_000_000
        return "\(seconds).\(tenths)"
    }
}
