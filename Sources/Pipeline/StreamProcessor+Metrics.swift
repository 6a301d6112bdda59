import Detection
import Kafka

extension StreamProcessor {
    /// Publishes a snapshot to the metrics board when the last one is 250 ms old. Runs on the consumer thread once
    /// per loop iteration; with metrics off it only checks for `nil`.
    func publishMetricsIfDue(now: ContinuousClock.Instant = .now) {
        guard let metrics, now >= metrics.nextPublish else { return }
        metrics.nextPublish = now + ProcessorMetrics.publishInterval
        metrics.board.publish(metricsSnapshot(metrics, now: now))
    }

    private func metricsSnapshot(_ metrics: ProcessorMetrics, now: ContinuousClock.Instant) -> MetricsSnapshot {
        var snapshot = MetricsSnapshot(takenAt: now)
        snapshot.counters = counters
        snapshot.consumed = metrics.consumed.entries
        snapshot.assigned = assigned.sorted().map { partition in (partition, lag(of: partition)) }
        let statistics = metrics.ruleStatistics(lanes: lanes.values)
        snapshot.rules = ruleSet.rules.enumerated().map { index, compiled in
            RuleSnapshot(
                ruleID: compiled.rule.ruleID,
                statistics: index < statistics.count
                    ? statistics[index] : RuleStatistics(stageCount: compiled.stages.count),
                alertsProduced: metrics.alertsByRule[compiled.rule.ruleID] ?? 0)
        }
        snapshot.rebalances = metrics.rebalances
        snapshot.commitDurations = metrics.commitDurations
        snapshot.commitFailures = metrics.commitFailures
        snapshot.producerQueueLength = producer.outstandingCount
        return snapshot
    }

    /// Returns the messages between the partition's next offset to process and its high watermark, or `nil` while
    /// librdkafka has not received the watermark yet.
    private func lag(of partition: TopicPartition) -> Int64? {
        guard let watermarks = consumer.cachedWatermarks(partition) else { return nil }
        // Before the lane has a position for the topic, nothing has been read and there is no committed offset,
        // so reading starts at the log start (auto.offset.reset=earliest, the default eqlstream sets).
        // NOTE: with auto.offset.reset=latest this overstates the lag until the first message arrives.
        let next = lanes[partition.partition]?.nextOffset[partition.topic] ?? max(watermarks.low, 0)
        return max(watermarks.high - next, 0)
    }
}
