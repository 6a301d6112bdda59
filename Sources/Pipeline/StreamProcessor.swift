import Detection
import EQL
import Events
import Foundation
import Kafka
import Synchronization
import Telemetry

/// A flag another thread (a signal handler's queue) sets to ask the processor to stop.
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .releasing) }
    public var isStopped: Bool { flag.load(ordering: .acquiring) }
}

/// The service: a consumer-group member that matches rules over its partitions and produces alerts.
///
/// One thread runs ``run(until:)``: it polls the consumer, feeds lanes, produces alerts, serves delivery reports
/// and commits checkpoints. Rebalance callbacks run on that thread inside the poll, so a revoke can flush the
/// producer and commit before the partitions move.
public final class StreamProcessor: KafkaRebalanceHandler {
    public let configuration: Configuration
    public internal(set) var ruleSet: RuleSet
    public let logger: Logger
    public internal(set) var counters = Counters()

    private(set) var consumer: KafkaConsumer!
    private(set) var producer: KafkaProducer!
    var settings: MatcherSettings
    var lanes: [Int32: Lane] = [:]
    /// Last committed offset per partition; commits never go below it.
    private var committed: [TopicPartition: CommittedOffset] = [:]
    private var tokenOwners: [Int: Int32] = [:]
    /// Alerts to produce again, with their lane's partition, because librdkafka did not take them.
    /// Alerts to produce again, by the token they stay tracked under in their lane, so that checkpoints keep
    /// holding their offsets until they are delivered.
    private var retryQueue: [(record: AlertRecord, partition: Int32, token: Int)] = []
    private var isProducerFailed = false
    /// Partitions whose queued alerts a revoke is purging; their failed delivery reports are not produced again.
    private var purgingPartitions: Set<Int32> = []
    /// The current assignment, and the partitions whose end the consumer has reached since their last message.
    private(set) var assigned: Set<TopicPartition> = []
    /// Earliest time of the next request that wakes a stalled fetcher.
    private var nextFetchNudge = ContinuousClock.now
    /// The wall clock (nanoseconds since the epoch) and the monotonic clock when the current batch of messages was
    /// handed over. Every message of the batch uses them.
    private var batchWallClock = StreamProcessor.wallClockNanoseconds()
    private var batchInstant = ContinuousClock.now
    private var partitionsAtEnd: Set<TopicPartition> = []
    private var nextToken = 0
    /// One limiter per reason, so the first message of each kind is always logged.
    private var badInputLogs: [DecodeFailureReason: RateLimiter] = [:]
    private var lateLog = RateLimiter()
    private var futureLog = RateLimiter()
    /// When shutdown must be finished; set once the run loop has stopped.
    var shutdownDeadline: ContinuousClock.Instant?
    /// Set by SIGHUP; the run loop then reloads the rules between two polls.
    public var reloadRequest: ReloadRequest?
    /// Called for every alert produced, after it is queued; used by the embedded demo to print alerts.
    public var onAlert: ((Alert) -> Void)?
    /// Counts kept for the metrics endpoints and the board snapshots go to, or `nil` when metrics are off.
    public var metrics: ProcessorMetrics?

    public init(configuration: Configuration, ruleSet: RuleSet, logger: Logger) throws {
        self.configuration = configuration
        self.ruleSet = ruleSet
        self.logger = logger
        let lateness = configuration.lateness(for: ruleSet.rules.map(\.rule))
        self.settings = MatcherSettings(
            allowedLateness: lateness, maxHeldEvents: configuration.maxHeldEvents, maxClockSkew: configuration.maxClockSkew)
        producer = try KafkaProducer(properties: configuration.producerProperties, logger: logger)
        consumer = try KafkaConsumer(properties: configuration.consumerProperties, logger: logger, rebalanceHandler: self)
    }

    /// Checks that the input topics exist and are co-partitioned, and that the output topic exists.
    public func checkTopics() throws {
        let topics = configuration.inputTopics + [configuration.outputTopic] + (configuration.deadLetterTopic.map { [$0] } ?? [])
        let counts = try consumer.partitionCounts(topics)
        for topic in topics where counts[topic] == nil {
            throw ConfigurationError("topic \(topic) does not exist on the cluster; create it, or fix input.topics / output.topic")
        }
        let inputCounts = Set(configuration.inputTopics.compactMap { counts[$0] })
        guard inputCounts.count == 1 else {
            let listing = configuration.inputTopics.map { "\($0)=\(counts[$0] ?? 0)" }.joined(separator: ", ")
            throw ConfigurationError(
                "input topics are not co-partitioned (\(listing) partitions); every input topic needs the same partition count, key (process.entity_id) and partitioner so that partition N of each holds the same entities")
        }
    }

    /// Runs until `stop` is set, then flushes, commits and leaves the group.
    public func run(until stop: StopSignal) throws {
        try checkTopics()
        try consumer.subscribe(configuration.inputTopics)
        logger.info(
            "processor started",
            ["topics": configuration.inputTopics.joined(separator: ","), "output": configuration.outputTopic,
             "rules": ruleSet.rules.count, "lateness_seconds": settings.allowedLateness / 1_000_000_000])
        logger.info("waiting for partition assignment", ["group": configuration.groupID])
        var nextCommit = ContinuousClock.now + configuration.commitInterval
        while !stop.isStopped {
            let decoder = ruleSet.decoder
            let threads = configuration.decodeThreads
            let polled = consumer.poll(
                timeoutMilliseconds: 100, maxMessages: 1000,
                prepare: { payloads in
                    // One reading of the clocks serves the whole batch.
                    self.batchWallClock = Self.wallClockNanoseconds()
                    self.batchInstant = .now
                    // Large batches decode on background threads while this thread matches the first results.
                    if payloads.count < BackgroundDecodeBatch.minimumCount {
                        let decoded = payloads.map { payload in Result { () throws(DecodeError) in try decoder.decode(payload) } }
                        return AnyIterator(decoded.makeIterator())
                    }
                    let batch = BackgroundDecodeBatch(payloads, decoder: decoder, threads: threads)
                    return AnyIterator { batch.next() }
                },
                endOfPartition: { partition in
                    self.lanes[partition.partition]?.markEnd(of: partition.topic)
                    self.partitionsAtEnd.insert(partition)
                }
            ) { message, decoded in
                self.partitionsAtEnd.remove(message.topicPartition)
                self.handle(message, decoded: decoded)
            }
            if configuration.stopsAtEnd, !assigned.isEmpty, assigned.isSubset(of: partitionsAtEnd),
               lanes.values.allSatisfy({ $0.bufferedCount == 0 })
            {
                logger.info("every assigned partition is read to its end; stopping", ["partitions": assigned.count])
                stop.stop()
            }
            if polled < 1000 { resumeStalledFetches() }
            if reloadRequest?.take() == true { reloadRules() }
            releaseWaitingMessages()
            handle(reports: producer.poll(timeoutMilliseconds: 0))
            if let fatal = producer.fatalError {
                // The idempotent producer cannot continue. Checkpoints still hold every unacknowledged alert, so
                // committing them and leaving the group lets the next owner produce those alerts again.
                logger.error("alert producer failed fatally; committing checkpoints and leaving the group", ["error": fatal.message])
                isProducerFailed = true
                commit(partitions: nil, synchronously: true)
                consumer.close()
                throw fatal
            }
            if ContinuousClock.now >= nextCommit {
                retryFailedAlerts()
                for lane in lanes.values {
                    lane.expire(idleTimeout: configuration.idleTimeout)
                    reportEvictions(lane)
                }
                commit(partitions: nil, synchronously: false)
                nextCommit = ContinuousClock.now + configuration.commitInterval
            }
            publishMetricsIfDue()
        }
        shutdown()
    }

    private func shutdown() {
        beginShutdown()
        flushProducer()
        commit(partitions: nil, synchronously: true)
        consumer.close()
        logger.info("processor stopped", ["counters": counters.summary])
    }

    // MARK: Messages

    private func handle(_ message: KafkaMessage, decoded: Result<DecodedEvent, DecodeError>) {
        let lane = laneForMessage(partition: message.partition)
        lane.receive(
            topic: message.topic, offset: message.offset, payload: message.payload, decoded: decoded,
            detectionTime: batchWallClock, now: batchInstant
        ) { topic, offset, outcome in
            record(outcome, topic: topic, offset: offset, lane: lane)
        }
        if lane.matcher.futureEvents > lane.reportedFutureEvents {
            counters.futureEvents += lane.matcher.futureEvents - lane.reportedFutureEvents
            lane.reportedFutureEvents = lane.matcher.futureEvents
            if let held = futureLog.admit() {
                logger.warning(
                    "event time is ahead of the wall clock by more than the allowed skew; it is matched, but the partition's watermark stops at the wall clock",
                    ["topic": message.topic, "partition": message.partition, "offset": message.offset,
                     "repeats_suppressed": held])
            }
        }
    }

    /// Wakes librdkafka's fetcher when the consumer queue ran dry while an assigned partition still has messages
    /// to read. librdkafka 2.0.2 stops fetching once its prefetch queue passes `queued.max.messages.kbytes` or
    /// `queued.min.messages`, and looks again only when the broker thread next wakes, up to a second later. A
    /// watermark request to the partition's leader wakes that thread now. At most one request every 50 ms.
    private func resumeStalledFetches() {
        let now = ContinuousClock.now
        guard now >= nextFetchNudge else { return }
        for partition in assigned where !partitionsAtEnd.contains(partition) {
            guard let high = consumer.cachedWatermarks(partition)?.high,
                  let next = lanes[partition.partition]?.nextExpectedOffset(of: partition.topic), next < high
            else { continue }
            nextFetchNudge = now + .milliseconds(50)
            consumer.queryWatermarks(partition, timeoutMilliseconds: 100)
            return
        }
    }

    /// Releases messages that waited for another topic of their lane longer than the merge allows.
    private func releaseWaitingMessages() {
        for lane in lanes.values {
            for result in lane.release(detectionTime: Self.wallClockNanoseconds()) {
                record(result.outcome, topic: result.topic, offset: result.offset, lane: lane)
            }
        }
    }

    static func wallClockNanoseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    private func record(_ outcome: LaneOutcome, topic: String, offset: Int64, lane: Lane) {
        let message = (topic: topic, partition: lane.partition, offset: offset)
        if case .duplicate = outcome { return }
        counters.consumed += 1
        metrics?.countConsumed(topic: topic, partition: lane.partition)
        switch outcome {
        case .duplicate:
            break
        case .rejected(let error, let payload):
            counters.decodeFailures[error.reason, default: 0] += 1
            copyToDeadLetterTopic(payload, error: error, topic: topic, partition: lane.partition, offset: offset)
            if let held = badInputLogs[error.reason, default: RateLimiter()].admit() {
                logger.warning(
                    "message is not a usable event",
                    ["reason": error.reason.rawValue, "topic": message.topic, "partition": message.partition,
                     "offset": message.offset, "error": error.detail, "repeats_suppressed": held])
            }
        case .late(let time, let watermark):
            counters.lateEvents += 1
            if let held = lateLog.admit() {
                logger.warning(
                    "event arrived later than the allowed lateness and was not matched",
                    ["topic": message.topic, "partition": message.partition, "offset": message.offset,
                     "event_time": Timestamp.format(time), "watermark": Timestamp.format(watermark),
                     "repeats_suppressed": held])
            }
        case .matched(let alerts, let suppressed):
            counters.alertsSuppressed += suppressed
            for record in alerts { produce(record, lane: lane) }
        }
    }

    private func laneForMessage(partition: Int32) -> Lane {
        if let lane = lanes[partition] { return lane }
        let lane = Lane(
            partition: partition, rules: ruleSet.rules, decoder: ruleSet.decoder, settings: settings,
            topics: Set(configuration.inputTopics), mergeWait: configuration.mergeWait)
        lanes[partition] = lane
        return lane
    }

    private func produce(_ record: AlertRecord, lane: Lane, isRetry: Bool = false) {
        let token = nextToken
        nextToken += 1
        do {
            try producer.produce(
                topic: configuration.outputTopic, key: Array(record.alert.key.utf8), value: record.alert.bytes,
                token: token)
        } catch let error as KafkaError where error.code == Self.messageTooLarge {
            // Retrying cannot help, and holding the alert would hold the partition's checkpoint forever.
            counters.alertsDropped += 1
            logger.error(
                "alert is larger than the producer accepts and was dropped; raise kafka.producer.message.max.bytes",
                ["alert_id": record.alert.id, "rule_id": record.alert.ruleID, "bytes": record.alert.bytes.count])
            return
        } catch {
            // The alert stays unacknowledged, so its offsets are not committed; it is produced again at the next
            // commit interval.
            logger.error("producing an alert failed; retrying", ["alert_id": record.alert.id, "error": "\(error)"])
            lane.track(token: token, record: record)
            retryQueue.append((record, lane.partition, token))
            return
        }
        lane.track(token: token, record: record)
        tokenOwners[token] = lane.partition
        if isRetry {
            counters.alertRetries += 1
        } else {
            counters.alertsProduced += 1
            metrics?.countAlert(ruleID: record.alert.ruleID)
            logger.info(
                "alert produced",
                ["rule_id": record.alert.ruleID, "alert_id": record.alert.id, "key": record.alert.key,
                 "input_partition": lane.partition])
            onAlert?(record.alert)
        }
    }

    /// Counts and logs held events a lane dropped because it reached detection.max.held.events.
    private func reportEvictions(_ lane: Lane) {
        let evicted = lane.matcher.evictedEvents
        guard evicted > lane.reportedEvictedEvents else { return }
        counters.evictedEvents += evicted - lane.reportedEvictedEvents
        logger.warning(
            "held events evicted at the cap; sequences they started cannot complete",
            ["partition": lane.partition, "evicted": evicted - lane.reportedEvictedEvents,
             "cap": configuration.maxHeldEvents])
        lane.reportedEvictedEvents = evicted
    }

    /// Copies a rejected message to the dead-letter topic, with the reason and its origin in headers.
    /// NOTE: the copy is produced at most once: its delivery is not awaited before the input offset is committed.
    private func copyToDeadLetterTopic(_ payload: [UInt8], error: DecodeError, topic: String, partition: Int32, offset: Int64) {
        guard let deadLetterTopic = configuration.deadLetterTopic else { return }
        let headers = [
            ("eqlstream.reason", error.reason.rawValue), ("eqlstream.error", error.detail),
            ("eqlstream.topic", topic), ("eqlstream.partition", String(partition)), ("eqlstream.offset", String(offset)),
        ]
        do {
            // Negative tokens are not alerts, so their delivery reports are ignored.
            try producer.produce(topic: deadLetterTopic, value: payload, headers: headers, token: -2)
            counters.deadLettered += 1
        } catch {
            logger.error("copying a rejected message to the dead-letter topic failed",
                         ["topic": topic, "partition": partition, "offset": offset, "error": "\(error)"])
        }
    }

    /// Produces again the alerts whose first attempt failed before reaching librdkafka's queue.
    private func retryFailedAlerts() {
        let pending = retryQueue
        retryQueue.removeAll()
        for entry in pending {
            guard let lane = lanes[entry.partition], lane.acknowledge(token: entry.token) != nil else { continue }
            produce(entry.record, lane: lane, isRetry: true)
        }
    }

    /// librdkafka's RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.
    static let messageTooLarge: Int32 = 10

    private func handle(reports: [DeliveryReport]) {
        for report in reports {
            guard let partition = tokenOwners.removeValue(forKey: report.token) else { continue }
            guard let lane = lanes[partition], let record = lane.acknowledge(token: report.token) else { continue }
            if let error = report.error {
                counters.deliveryFailures += 1
                // Alerts of kept partitions that the purge removed too are produced again below.
                if purgingPartitions.contains(partition) { continue }
                logger.error("alert delivery failed; producing it again", ["alert_id": record.alert.id, "error": error.message])
                produce(record, lane: lane, isRetry: true)
            } else {
                counters.alertsDelivered += 1
            }
        }
    }

    /// Waits for every queued alert to be acknowledged; returns false when the timeout passed first.
    @discardableResult
    private func flushProducer() -> Bool {
        guard !isProducerFailed else { return false }
        do {
            handle(reports: try producer.flush(timeoutMilliseconds: Self.milliseconds(flushTimeout)))
            return true
        } catch {
            handle(reports: producer.poll(timeoutMilliseconds: 0))
            logger.error("alerts still unacknowledged after the flush timeout; their offsets stay uncommitted", ["error": "\(error)"])
            return false
        }
    }

    // MARK: Commits

    /// Commits the checkpoints of `partitions` (all lanes when `nil`) that moved since the last commit.
    private func commit(partitions: Set<Int32>?, synchronously: Bool) {
        var offsets: [TopicPartition: CommittedOffset] = [:]
        for (partition, lane) in lanes where partitions?.contains(partition) ?? true {
            for (topic, position) in lane.checkpoints() {
                let key = TopicPartition(topic: topic, partition: partition)
                if let previous = committed[key] {
                    if position.offset < previous.offset { continue }
                    let isSame = Checkpoint(text: previous.metadata).map { !$0.differsInState(from: position.checkpoint) } ?? false
                    if position.offset == previous.offset && isSame { continue }
                }
                var checkpoint = position.checkpoint
                checkpoint.committedAt = Self.wallClockNanoseconds() / 1_000_000
                offsets[key] = CommittedOffset(offset: position.offset, metadata: checkpoint.text)
            }
        }
        guard !offsets.isEmpty else { return }
        do {
            // An asynchronous commit counts as stored only when the broker confirms it (offsetsCommitted), so a
            // rejected one is sent again at the next interval or at revoke.
            metrics?.commitRequested(offsets)
            try consumer.commit(offsets, synchronously: synchronously)
            if synchronously {
                offsetsCommitted(offsets, failed: [:])
            }
        } catch let error as KafkaError where error.isRebalanceConflict {
            logger.info("commit rejected by a rebalance; the next owner replays from the previous checkpoint", ["error": error.message])
        } catch {
            counters.commitFailures += 1
            logger.warning("offset commit failed; it is retried at the next interval", ["error": "\(error)"])
        }
    }

    // MARK: Rebalance

    public func partitionsAssigned(_ partitions: [TopicPartition], committed offsets: [TopicPartition: CommittedOffset])
        -> [TopicPartition: Int64]
    {
        counters.rebalances += 1
        metrics?.countRebalance(.assigned)
        assigned.formUnion(partitions)
        for (number, members) in Dictionary(grouping: partitions, by: \.partition) {
            var restored: [String: (offset: Int64, checkpoint: Checkpoint?)] = [:]
            for partition in members {
                guard let position = offsets[partition] else { continue }
                restored[partition.topic] = (position.offset, Checkpoint(text: position.metadata))
                committed[partition] = position
            }
            if let lane = lanes[number] {
                for (topic, position) in restored {
                    lane.restore(topic: topic, offset: position.offset, checkpoint: position.checkpoint)
                }
            } else {
                lanes[number] = Lane(
                    partition: number, rules: ruleSet.rules, decoder: ruleSet.decoder, settings: settings,
                    topics: Set(members.map(\.topic)), mergeWait: configuration.mergeWait, restored: restored)
            }
        }
        findProducedAlerts(for: partitions, checkpoints: offsets)
        logger.info(
            "partitions assigned",
            ["partitions": partitions.sorted().map { p in
                "\(p)@\(offsets[p].map { String($0.offset) } ?? "reset")" }.joined(separator: ",")])
        return [:]
    }

    /// Gives the new lanes the ids of alerts produced since their checkpoints were committed, which a previous
    /// owner that died before its next commit may have left on the alerts topic.
    private func findProducedAlerts(for partitions: [TopicPartition], checkpoints: [TopicPartition: CommittedOffset]) {
        let now = Self.wallClockNanoseconds() / 1_000_000
        // A partition without a checkpoint may have had an owner that died before its first commit. Such alerts
        // would be recent, so the scan then covers the last hour.
        let times = partitions.map { partition in
            checkpoints[partition].flatMap { Checkpoint(text: $0.metadata)?.committedAt } ?? now - 3_600_000
        }
        guard let since = times.min() else { return }
        let started = ContinuousClock.now
        do {
            let ids = try ProducedAlerts.ids(
                topic: configuration.outputTopic, sinceMilliseconds: since, properties: configuration.consumerProperties,
                logger: logger)
            for number in Set(partitions.map(\.partition)) {
                lanes[number]?.producedAlertIDs.formUnion(ids)
            }
            logger.info(
                "read alerts produced since the last checkpoint",
                ["alerts": ids.count, "since_ms": since, "duration_ms": Self.milliseconds(ContinuousClock.now - started)])
        } catch {
            logger.warning(
                "cannot read the alerts topic; alerts produced after the last commit may be produced again",
                ["error": "\(error)"])
        }
    }

    public func partitionsRevoked(_ partitions: [TopicPartition], isLost: Bool) {
        counters.rebalances += 1
        metrics?.countRebalance(isLost ? .lost : .revoked)
        let numbers = Set(partitions.map(\.partition))
        if isLost {
            logger.warning("partitions lost to another member; dropping their state without committing",
                           ["partitions": partitions.sorted().map(\.description).joined(separator: ",")])
            // The new owner replays from the last commit, which still covers these partitions' unacknowledged
            // alerts, so it produces them. Copies still queued here, for example while the broker is down, must
            // then never be sent.
            // NOTE: alerts already sent to a broker may still be written after the new owner's scan and repeat.
            if numbers.contains(where: { lanes[$0]?.unacknowledged.isEmpty == false }) {
                purgingPartitions = numbers
                producer.purgeQueued()
                handle(reports: producer.poll(timeoutMilliseconds: 100))
                purgingPartitions = []
            }
        } else {
            let isFlushed = flushProducer()
            commit(partitions: numbers, synchronously: true)
            if !isFlushed {
                // The checkpoint just committed still keeps the unacknowledged alerts, so the next owner produces
                // them. Those still queued here must then never be sent, or they would arrive twice.
                // NOTE: alerts already sent to a broker when the flush timed out may still be written and repeat.
                purgingPartitions = numbers
                producer.purgeQueued()
                handle(reports: producer.poll(timeoutMilliseconds: 100))
                purgingPartitions = []
            }
            logger.info("partitions revoked", ["partitions": partitions.sorted().map(\.description).joined(separator: ",")])
        }
        for number in numbers {
            if let lane = lanes.removeValue(forKey: number) {
                for token in lane.unacknowledged.keys { tokenOwners[token] = nil }
            }
        }
        for partition in partitions {
            committed[partition] = nil
            assigned.remove(partition)
            partitionsAtEnd.remove(partition)
        }
        retryQueue.removeAll { numbers.contains($0.partition) }
    }

    public func offsetsCommitted(_ stored: [TopicPartition: CommittedOffset], failed: [TopicPartition: KafkaError]) {
        for (partition, offset) in stored {
            if let previous = committed[partition], previous.offset > offset.offset { continue }
            committed[partition] = offset
        }
        if !stored.isEmpty { counters.commits += 1 }
        metrics?.commitCompleted(stored: stored, failed: failed)
        if !failed.isEmpty { counters.commitFailures += 1 }
    }

    public func consumerError(_ error: KafkaError, partition: TopicPartition?) {
        logger.error("consumer error", ["partition": partition?.description ?? "-", "error": error.message])
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
