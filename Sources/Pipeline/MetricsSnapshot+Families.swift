import Events
import Metrics

extension MetricsSnapshot {
    /// Returns every metric family of the service. docs/metrics.md describes each one.
    public func families() -> [MetricFamily] {
        consumerFamilies() + ruleFamilies() + alertFamilies() + commitFamilies()
    }

    private func consumerFamilies() -> [MetricFamily] {
        let partition = ["topic", "partition"]
        return [
            MetricFamily(
                name: "eqlstream_events_consumed_total",
                help: "Messages taken from an input partition, usable or not; redelivered offsets are not counted again.",
                type: .counter, labelNames: partition,
                samples: consumed.map { MetricSample([$0.partition.topic, String($0.partition.partition)], $0.count) }),
            MetricFamily(
                name: "eqlstream_bad_messages_total", help: "Input messages that are not usable events, by reason.",
                type: .counter, labelNames: ["reason"],
                samples: DecodeFailureReason.allCases.map {
                    MetricSample([$0.rawValue], counters.decodeFailures[$0] ?? 0)
                }),
            MetricFamily(
                name: "eqlstream_dead_lettered_messages_total",
                help: "Messages that are not usable events, copied to the dead-letter topic.", type: .counter,
                samples: [MetricSample(counters.deadLettered)]),
            MetricFamily(
                name: "eqlstream_late_events_total",
                help: "Events older than their partition's watermark allows; counted and not matched.", type: .counter,
                samples: [MetricSample(counters.lateEvents)]),
            MetricFamily(
                name: "eqlstream_future_events_total",
                help: "Events further ahead of the wall clock than detection.max.clock.skew; still matched.",
                type: .counter, samples: [MetricSample(counters.futureEvents)]),
            MetricFamily(
                name: "eqlstream_consumer_lag_messages",
                help: "Messages between the next offset to process and the partition's high watermark.", type: .gauge,
                labelNames: partition,
                samples: assigned.compactMap { entry in
                    entry.lag.map { MetricSample([entry.partition.topic, String(entry.partition.partition)], Double($0)) }
                }),
            MetricFamily(
                name: "eqlstream_assigned_partitions", help: "Input partitions assigned to this member.", type: .gauge,
                samples: [MetricSample(assigned.count)]),
            MetricFamily(
                name: "eqlstream_rebalances_total",
                help: "Rebalance callbacks served: partitions assigned, revoked, or lost to another member.",
                type: .counter, labelNames: ["event"],
                samples: [
                    MetricSample(["assigned"], rebalances.assigned), MetricSample(["revoked"], rebalances.revoked),
                    MetricSample(["lost"], rebalances.lost),
                ]),
        ]
    }

    private func ruleFamilies() -> [MetricFamily] {
        // Every rule evaluates every event that is usable and on time.
        let evaluated = counters.consumed - counters.badMessages - counters.lateEvents
        return [
            MetricFamily(
                name: "eqlstream_rule_events_evaluated_total",
                help: "Usable, on-time events the rule's stage filters were evaluated on.", type: .counter,
                labelNames: ["rule_id"], samples: rules.map { MetricSample([$0.ruleID], evaluated) }),
            MetricFamily(
                name: "eqlstream_rule_stage_matches_total",
                help: "Events that matched a stage's filter; stage 1 is the first stage of the sequence.",
                type: .counter, labelNames: ["rule_id", "stage"],
                samples: rules.flatMap { rule in
                    rule.statistics.stageMatches.enumerated().map { stage, count in
                        MetricSample([rule.ruleID, String(stage + 1)], count)
                    }
                }),
            MetricFamily(
                name: "eqlstream_rule_held_events",
                help: "Events held for the rule's sequences that may still complete.", type: .gauge,
                labelNames: ["rule_id"], samples: rules.map { MetricSample([$0.ruleID], $0.statistics.heldEvents) }),
            MetricFamily(
                name: "eqlstream_rule_held_keys",
                help: "Join keys holding events for the rule's sequences that may still complete.", type: .gauge,
                labelNames: ["rule_id"], samples: rules.map { MetricSample([$0.ruleID], $0.statistics.heldKeys) }),
            MetricFamily(
                name: "eqlstream_rule_evicted_events_total",
                help: "Held events dropped at detection.max.held.events; the sequences they started cannot complete.",
                type: .counter, labelNames: ["rule_id"],
                samples: rules.map { MetricSample([$0.ruleID], $0.statistics.evictedEvents) }),
        ]
    }

    private func alertFamilies() -> [MetricFamily] {
        [
            MetricFamily(
                name: "eqlstream_alerts_produced_total",
                help: "Alerts handed to the producer for the first time; retries are counted separately.",
                type: .counter, labelNames: ["rule_id"],
                samples: rules.map { MetricSample([$0.ruleID], $0.alertsProduced) }),
            MetricFamily(
                name: "eqlstream_alerts_suppressed_total",
                help: "Sequences found again on replay whose alerts were already produced.", type: .counter,
                samples: [MetricSample(counters.alertsSuppressed)]),
            MetricFamily(
                name: "eqlstream_rule_reloads_total",
                help: "Rule reloads requested with SIGHUP, by result; a failed reload keeps the old rules.",
                type: .counter, labelNames: ["result"],
                samples: [MetricSample(["ok"], counters.ruleReloads),
                          MetricSample(["failed"], counters.ruleReloadFailures)]),
            MetricFamily(
                name: "eqlstream_alerts_delivered_total", help: "Alerts the brokers acknowledged.", type: .counter,
                samples: [MetricSample(counters.alertsDelivered)]),
            MetricFamily(
                name: "eqlstream_alert_delivery_errors_total",
                help: "Failed delivery reports for alerts; each failed alert is produced again.", type: .counter,
                samples: [MetricSample(counters.deliveryFailures)]),
            MetricFamily(
                name: "eqlstream_alert_retries_total", help: "Alerts produced again after a failed attempt.",
                type: .counter, samples: [MetricSample(counters.alertRetries)]),
            MetricFamily(
                name: "eqlstream_alerts_dropped_total",
                help: "Alerts larger than the producer accepts; they are logged and never delivered.", type: .counter,
                samples: [MetricSample(counters.alertsDropped)]),
            MetricFamily(
                name: "eqlstream_producer_queue_messages",
                help: "Messages in the alert producer's queue not yet acknowledged or failed (rd_kafka_outq_len).",
                type: .gauge, samples: [MetricSample(producerQueueLength)]),
        ]
    }

    private func commitFamilies() -> [MetricFamily] {
        [
            MetricFamily(
                name: "eqlstream_commit_failures_total",
                help: "Offset commits that failed, by cause: rebalance (rejected because the group changed) or error.",
                type: .counter, labelNames: ["cause"],
                samples: [
                    MetricSample(["rebalance"], commitFailures.rebalance), MetricSample(["error"], commitFailures.error),
                ]),
            MetricFamily(
                name: "eqlstream_commit_duration_seconds",
                help: "Time from an offset commit request until its success is served on the consumer thread; "
                    + "the count is the number of successful commits.",
                histograms: [HistogramSample(commitDurations)]),
        ]
    }
}
