import Detection
import Kafka
import Metrics
import Testing

@testable import Pipeline

@Suite("Processor metrics")
struct ProcessorMetricsTests {
    static let settings = ProbeSettings(healthTimeout: .seconds(60), maxReadyLag: 100)

    static func snapshot(takenAt: ContinuousClock.Instant, lags: [Int64?]) -> MetricsSnapshot {
        var snapshot = MetricsSnapshot(takenAt: takenAt)
        snapshot.assigned = lags.enumerated().map { index, lag in
            (TopicPartition(topic: "events", partition: Int32(index)), lag)
        }
        return snapshot
    }

    @Test("health fails once the loop stalls")
    func healthTimeout() {
        let start = ContinuousClock.now
        let snapshot = Self.snapshot(takenAt: start, lags: [])
        #expect(snapshot.health(now: start + .seconds(60), settings: Self.settings).isPassing)
        let stalled = snapshot.health(now: start + .seconds(61), settings: Self.settings)
        #expect(!stalled.isPassing)
        #expect(stalled.reason.contains("no progress for 61.0s"))
    }

    @Test("readiness reasons")
    func readinessReasons() {
        let start = ContinuousClock.now
        func readiness(_ lags: [Int64?], now: ContinuousClock.Instant = start, isStopping: Bool = false) -> ProbeResult {
            Self.snapshot(takenAt: start, lags: lags).readiness(now: now, settings: Self.settings, isStopping: isStopping)
        }
        #expect(readiness([]) == ProbeResult(isPassing: false, reason: "no partitions assigned"))
        #expect(readiness([0, nil]) == ProbeResult(isPassing: false, reason: "lag of events/1 is not known yet"))
        let behind = readiness([60, 41])
        #expect(!behind.isPassing)
        #expect(behind.reason == "101 messages behind the end of the assigned partitions (metrics.ready.max.lag is 100)")
        #expect(readiness([60, 40]) == ProbeResult(isPassing: true, reason: "ready: 2 partitions assigned, 100 messages behind"))
        #expect(readiness([0], isStopping: true) == ProbeResult(isPassing: false, reason: "stopping"))
        #expect(!readiness([0], now: start + .seconds(90)).isPassing)
    }

    @Test("board serves the latest snapshot")
    func boardPublishes() {
        let start = ContinuousClock.now
        let stop = StopSignal()
        let board = MetricsBoard(settings: Self.settings, stop: stop, now: start)
        #expect(board.readiness(now: start).reason == "no partitions assigned")
        #expect(board.health(now: start).isPassing)
        var snapshot = Self.snapshot(takenAt: start, lags: [3])
        snapshot.counters.lateEvents = 5
        board.publish(snapshot)
        #expect(board.readiness(now: start).isPassing)
        #expect(board.metricsText().contains("\neqlstream_late_events_total 5\n"))
        stop.stop()
        #expect(board.readiness(now: start).reason == "stopping")
    }

    @Test("commit latency is observed once per request")
    func commitLatency() {
        let metrics = ProcessorMetrics(board: MetricsBoard(settings: Self.settings))
        let start = ContinuousClock.now
        let partition = TopicPartition(topic: "events", partition: 0)
        let offsets = [partition: CommittedOffset(offset: 10, metadata: "v1;e=10")]
        metrics.commitRequested(offsets, at: start)
        // A synchronous commit reports its result directly, and librdkafka serves the same result again later.
        metrics.commitCompleted(stored: offsets, failed: [:], at: start + .milliseconds(30))
        metrics.commitCompleted(stored: offsets, failed: [:], at: start + .milliseconds(500))
        #expect(metrics.commitDurations.count == 1)
        #expect(abs(metrics.commitDurations.sum - 0.03) < 1e-9)
        // A result for offsets that were never requested is not observed.
        metrics.commitCompleted(stored: [partition: CommittedOffset(offset: 11, metadata: "v1;e=11")], failed: [:], at: start)
        #expect(metrics.commitDurations.count == 1)
    }

    @Test("commit failures are counted by cause")
    func commitFailures() {
        let metrics = ProcessorMetrics(board: MetricsBoard(settings: Self.settings))
        let partition = TopicPartition(topic: "events", partition: 0)
        metrics.commitCompleted(stored: [:], failed: [partition: KafkaError(code: 22, "illegal generation")])
        metrics.commitCompleted(stored: [:], failed: [partition: KafkaError(code: 7, "request timed out")])
        metrics.commitCompleted(stored: [:], failed: [partition: KafkaError(code: 7, "request timed out")])
        metrics.commitCompleted(stored: [:], failed: [:])
        #expect(metrics.commitFailures == CommitFailureCounts(rebalance: 1, error: 2))
    }

    @Test("consumed counts per topic and partition")
    func partitionCounts() {
        var counts = PartitionCounts()
        counts.add(topic: "process", partition: 2)
        counts.add(topic: "process", partition: 2)
        counts.add(topic: "network", partition: 2)
        counts.add(topic: "process", partition: 0)
        let entries = counts.entries.map { ("\($0.partition)", $0.count) }
        #expect(entries.map(\.0) == ["network/2", "process/0", "process/2"])
        #expect(entries.map(\.1) == [1, 1, 2])
    }

    @Test("revoked lane keeps its counters")
    func revokedLaneCounters() throws {
        let metrics = ProcessorMetrics(board: MetricsBoard(settings: Self.settings))
        let lane = try Fixtures.lane()
        _ = lane.feed(Fixtures.start("A", at: "2024-05-01T12:00:00Z"), offset: 0)
        _ = lane.feed(Fixtures.start("B", at: "2024-05-01T12:00:01Z"), offset: 1)
        let live = try #require(metrics.ruleStatistics(lanes: [lane]).first)
        #expect(live.stageMatches == [2, 0])
        #expect(live.heldEvents == 2)
        #expect(live.heldKeys == 2)
        // The lane is gone at the next snapshot: its counters stay, its held state no longer counts.
        let retired = try #require(metrics.ruleStatistics(lanes: []).first)
        #expect(retired.stageMatches == [2, 0])
        #expect(retired.heldEvents == 0)
        #expect(retired.heldKeys == 0)
        let other = try Fixtures.lane()
        _ = other.feed(Fixtures.start("C", at: "2024-05-01T12:00:02Z"), offset: 0)
        let combined = try #require(metrics.ruleStatistics(lanes: [other]).first)
        #expect(combined.stageMatches == [3, 0])
        #expect(combined.heldEvents == 1)
    }
}
