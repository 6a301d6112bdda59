import CRdKafka
import Telemetry

/// A consumer-group member: subscribes to topics, polls messages, and commits offsets with checkpoint metadata.
///
/// Not thread-safe: one thread polls, commits and closes. Automatic commits and automatic offset storing are off,
/// because librdkafka 2.0.2 drops commit metadata on those paths; the owner commits explicitly.
public final class KafkaConsumer {
    let handle: OpaquePointer
    private let context: ConsumerContext
    public let logger: Logger
    private var isClosed = false
    /// Topic names by librdkafka topic handle, so a message's topic is not copied into a new string each time.
    private var topicNames: [OpaquePointer: String] = [:]

    /// Creates the consumer from librdkafka properties (`bootstrap.servers`, `group.id`, ...).
    public init(properties: [(String, String)], logger: Logger, rebalanceHandler: KafkaRebalanceHandler) throws {
        self.logger = logger
        var settings: [(String, String)] = [
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("socket.nagle.disable", "true"),
            ("auto.offset.reset", "earliest"),
            ("partition.assignment.strategy", "range"),
            ("enable.partition.eof", "true"),
            // A fetch that finds no new data waits at most this long for the broker's response. A Kafka broker
            // responds as soon as data arrives, so there this only sets how often an idle consumer fetches again.
            // librdkafka's mock cluster holds every empty fetch for the full wait, and there a longer wait shows
            // up as alert latency.
            ("fetch.wait.max.ms", "10"),
        ]
        settings.append(contentsOf: properties.filter { $0.0 != "enable.auto.commit" && $0.0 != "enable.auto.offset.store" })
        let config = try RDKafkaConfig(settings)
        context = ConsumerContext(logger: logger, name: "consumer")
        context.resetOffset = Self.logicalOffset(reset: settings.last { $0.0 == "auto.offset.reset" }?.1)
        context.rebalanceHandler = rebalanceHandler
        rd_kafka_conf_set_opaque(config.handle, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(config.handle, LogBridge.callback)
        rd_kafka_conf_set_rebalance_cb(config.handle, ConsumerContext.rebalanceCallback)
        rd_kafka_conf_set_offset_commit_cb(config.handle, ConsumerContext.commitCallback)
        handle = try makeClient(type: RD_KAFKA_CONSUMER, config: config)
        context.handle = handle
        rd_kafka_poll_set_consumer(handle)
    }

    deinit {
        if !isClosed { rd_kafka_consumer_close(handle) }
        rd_kafka_destroy(handle)
    }

    /// Returns the logical offset that `auto.offset.reset` names, or `nil` for `error` and values librdkafka would
    /// reject.
    static func logicalOffset(reset: String?) -> Int64? {
        switch reset?.lowercased() {
        case "smallest", "earliest", "beginning": return Int64(RD_KAFKA_OFFSET_BEGINNING)
        case "largest", "latest", "end": return Int64(RD_KAFKA_OFFSET_END)
        default: return nil
        }
    }

    /// Subscribes to `topics`; assignments arrive through the rebalance handler during polls.
    public func subscribe(_ topics: [String]) throws {
        let list = PartitionList(capacity: topics.count)
        defer { list.destroy() }
        for topic in topics { list.add(TopicPartition(topic: topic, partition: RD_KAFKA_PARTITION_UA)) }
        let error = rd_kafka_subscribe(handle, list.handle)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "subscribe failed") }
    }

    /// Polls up to `maxMessages` messages, waiting at most `timeoutMilliseconds` for the first one.
    /// Rebalance and commit callbacks run inside this call. `endOfPartition` is called when the consumer has read
    /// everything a partition holds for now. Returns the number of messages handed to `handler`.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32, maxMessages: Int, endOfPartition: (TopicPartition) -> Void = { _ in },
                     handler: (KafkaMessage) -> Void) -> Int {
        return poll(
            timeoutMilliseconds: timeoutMilliseconds, maxMessages: maxMessages,
            prepare: { payloads in AnyIterator(repeatElement((), count: payloads.count).makeIterator()) },
            endOfPartition: endOfPartition
        ) { message, _ in handler(message) }
    }

    /// Polls like ``poll(timeoutMilliseconds:maxMessages:endOfPartition:handler:)``, but in batches. `prepare`
    /// receives the payloads of a batch at once and returns their prepared values in order, and it may still be
    /// computing later ones on other threads. `handler` receives each message in order with its value.
    /// A rebalance inside the poll first hands over the messages consumed before it, so no message reaches
    /// `handler` after its partition was revoked.
    @discardableResult
    public func poll<Prepared>(
        timeoutMilliseconds: Int32, maxMessages: Int, prepare: ([UnsafeRawBufferPointer]) -> AnyIterator<Prepared>,
        endOfPartition: (TopicPartition) -> Void, handler: (KafkaMessage, Prepared) -> Void
    ) -> Int {
        var pending: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        var count = 0
        func deliver() {
            guard !pending.isEmpty else { return }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            defer { for message in batch { rd_kafka_message_destroy(message) } }
            let payloads = batch.filter { $0.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR }.map {
                UnsafeRawBufferPointer(start: $0.pointee.payload, count: $0.pointee.len)
            }
            let prepared = prepare(payloads)
            for message in batch {
                let element = message.pointee
                let topic = element.rkt.map { topicName($0) } ?? ""
                guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    if element.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        endOfPartition(TopicPartition(topic: topic, partition: element.partition))
                        continue
                    }
                    let partition = topic.isEmpty ? nil : TopicPartition(topic: topic, partition: element.partition)
                    context.rebalanceHandler?.consumerError(
                        KafkaError(element.err, context: "consume failed at offset \(element.offset)"), partition: partition)
                    continue
                }
                let payload = UnsafeRawBufferPointer(start: element.payload, count: element.len)
                let key = element.key.map { UnsafeRawBufferPointer(start: $0, count: element.key_len) }
                handler(KafkaMessage(topic: topic, partition: element.partition, offset: element.offset, key: key, payload: payload),
                        prepared.next()!)
            }
        }
        withoutActuallyEscaping(deliver) { deliver in
            context.beforeRebalance = deliver
            defer { context.beforeRebalance = nil }
            var wait = timeoutMilliseconds
            while count < maxMessages, let message = rd_kafka_consumer_poll(handle, wait) {
                wait = 0
                pending.append(message)
                if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { count += 1 }
            }
            deliver()
        }
        return count
    }

    private func topicName(_ handle: OpaquePointer) -> String {
        if let name = topicNames[handle] { return name }
        let name = String(cString: rd_kafka_topic_name(handle))
        topicNames[handle] = name
        return name
    }

    /// Commits `offsets` (the next offset to read, with checkpoint metadata). A synchronous commit waits for the
    /// coordinator; an asynchronous one reports failures to the log.
    public func commit(_ offsets: [TopicPartition: CommittedOffset], synchronously: Bool) throws {
        guard !offsets.isEmpty else { return }
        let list = PartitionList(capacity: offsets.count)
        defer { list.destroy() }
        for (partition, committed) in offsets.sorted(by: { $0.key < $1.key }) {
            list.add(partition, offset: committed.offset, metadata: committed.metadata)
        }
        let error = rd_kafka_commit(handle, list.handle, synchronously ? 0 : 1)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "offset commit failed") }
        if synchronously {
            for element in list.elements where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(element.err, context: "offset commit failed for \(String(cString: element.topic))/\(element.partition)")
            }
        }
    }

    /// Returns the group's committed positions for `partitions`; partitions without one are left out.
    public func committed(_ partitions: [TopicPartition], timeoutMilliseconds: Int32 = 10_000) throws
        -> [TopicPartition: CommittedOffset]
    {
        let list = PartitionList(capacity: partitions.count)
        defer { list.destroy() }
        for partition in partitions { list.add(partition) }
        let error = rd_kafka_committed(handle, list.handle, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "fetching committed offsets failed") }
        var result: [TopicPartition: CommittedOffset] = [:]
        for element in list.elements where element.offset >= 0 {
            let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
            result[partition] = CommittedOffset(offset: element.offset, metadata: element.metadataText)
        }
        return result
    }

    /// Returns the number of partitions of each topic in `topics`; a topic the cluster does not have is left out.
    public func partitionCounts(_ topics: [String], timeoutMilliseconds: Int32 = 10_000) throws -> [String: Int] {
        try fetchPartitionCounts(handle: handle, topics: topics, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Returns the low and high watermark offsets of a partition.
    public func watermarks(_ partition: TopicPartition, timeoutMilliseconds: Int32 = 10_000) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "watermark query for \(partition) failed") }
        return (low, high)
    }

    /// Assigns partitions directly, without group management, starting at the given offsets.
    public func assign(_ offsets: [TopicPartition: Int64]) throws {
        let list = PartitionList(capacity: offsets.count)
        defer { list.destroy() }
        for (partition, offset) in offsets.sorted(by: { $0.key < $1.key }) { list.add(partition, offset: offset) }
        let error = rd_kafka_assign(handle, list.handle)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "assigning partitions failed") }
    }

    /// Returns, per partition, the first offset whose message timestamp is at or after `milliseconds`; a partition
    /// without such a message maps to its end offset. Throws when the broker cannot answer.
    public func offsets(atTime milliseconds: Int64, for partitions: [TopicPartition], timeoutMilliseconds: Int32 = 10_000)
        throws -> [TopicPartition: Int64]
    {
        let list = PartitionList(capacity: partitions.count)
        defer { list.destroy() }
        for partition in partitions { list.add(partition, offset: milliseconds) }
        let error = rd_kafka_offsets_for_times(handle, list.handle, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "offset lookup by time failed") }
        var result: [TopicPartition: Int64] = [:]
        for element in list.elements {
            guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(element.err, context: "offset lookup by time failed for \(String(cString: element.topic))")
            }
            result[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
        }
        return result
    }

    /// Leaves the group: runs the revoke handler for the current assignment and closes the consumer.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        let error = rd_kafka_consumer_close(handle)
        if error != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close failed", ["error": String(cString: rd_kafka_err2str(error))])
        }
    }
}

func fetchPartitionCounts(handle: OpaquePointer, topics: [String], timeoutMilliseconds: Int32) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for topic in topics {
        let topicHandle = rd_kafka_topic_new(handle, topic, nil)
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(handle, 0, topicHandle, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(error, context: "metadata request for topic \(topic) failed")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            if entry.err == RD_KAFKA_RESP_ERR_NO_ERROR && entry.partition_cnt > 0 {
                counts[String(cString: entry.topic)] = Int(entry.partition_cnt)
            }
        }
    }
    return counts
}

/// Bridges librdkafka's consumer callbacks to Swift.
final class ConsumerContext: ClientContext {
    weak var rebalanceHandler: KafkaRebalanceHandler?
    var handle: OpaquePointer?
    /// Set during a batched poll: hands over the messages consumed so far, before a rebalance changes ownership.
    var beforeRebalance: (() -> Void)?
    /// The start of a partition with no committed offset, from `auto.offset.reset`. With `nil`, librdkafka decides.
    var resetOffset: Int64?

    static let rebalanceCallback:
        @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
            UnsafeMutableRawPointer?) -> Void = { handle, error, partitions, opaque in
            guard let handle, let partitions, let opaque else { return }
            let context = Unmanaged<ConsumerContext>.fromOpaque(opaque).takeUnretainedValue()
            context.rebalance(handle: handle, error: error, partitions: partitions)
        }

    static let commitCallback:
        @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
            UnsafeMutableRawPointer?) -> Void = { _, error, partitions, opaque in
            guard let opaque else { return }
            let context = Unmanaged<ConsumerContext>.fromOpaque(opaque).takeUnretainedValue()
            var stored: [TopicPartition: CommittedOffset] = [:]
            var failed: [TopicPartition: KafkaError] = [:]
            if let partitions {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    let elementError = element.err != RD_KAFKA_RESP_ERR_NO_ERROR ? element.err : error
                    if elementError == RD_KAFKA_RESP_ERR_NO_ERROR {
                        stored[partition] = CommittedOffset(offset: element.offset, metadata: element.metadataText)
                    } else if elementError != RD_KAFKA_RESP_ERR__NO_OFFSET {
                        failed[partition] = KafkaError(elementError, context: "offset commit failed for \(partition)")
                    }
                }
            }
            if !stored.isEmpty {
                context.logger.debug(
                    "offsets committed",
                    ["offsets": stored.keys.sorted().map { "\($0)@\(stored[$0]!.offset)" }.joined(separator: ",")])
            }
            if let first = failed.values.first {
                let level: LogLevel = first.isRebalanceConflict ? .info : .warning
                context.logger.log(
                    level, "offset commit failed; it is retried at the next commit",
                    ["partitions": failed.keys.sorted().map(\.description).joined(separator: ","), "error": first.message])
            }
            context.rebalanceHandler?.offsetsCommitted(stored, failed: failed)
        }

    private func rebalance(handle: OpaquePointer, error: rd_kafka_resp_err_t,
                           partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        beforeRebalance?()
        let isCooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let names = PartitionList.partitions(of: partitions)
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            var committed: [TopicPartition: CommittedOffset] = [:]
            // Partitions the fetch returned without an error, with a committed offset or none. Only these are
            // assigned at a known offset below, and for the others librdkafka queries the coordinator again.
            var answered: Set<TopicPartition> = []
            let query = PartitionList(copying: partitions)
            defer { query.destroy() }
            let fetchError = rd_kafka_committed(handle, query.handle, 10_000)
            if fetchError == RD_KAFKA_RESP_ERR_NO_ERROR {
                for element in query.elements {
                    let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if element.err == RD_KAFKA_RESP_ERR_NO_ERROR { answered.insert(partition) }
                    if element.offset >= 0 {
                        committed[partition] = CommittedOffset(offset: element.offset, metadata: element.metadataText)
                    }
                }
            } else {
                logger.warning("fetching committed offsets failed; positions fall back to the broker's",
                               ["error": String(cString: rd_kafka_err2str(fetchError))])
            }
            let starts = rebalanceHandler?.partitionsAssigned(names, committed: committed) ?? [:]
            for index in 0..<Int(partitions.pointee.cnt) {
                let element = partitions.pointee.elems[index]
                let partition = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                if let start = starts[partition] {
                    partitions.pointee.elems[index].offset = start
                } else if answered.contains(partition), let start = committed[partition]?.offset ?? resetOffset {
                    // The committed offsets are known now. Handing them over spares librdkafka a second fetch of
                    // them, which delayed the first Fetch by about 100 ms against its mock cluster.
                    partitions.pointee.elems[index].offset = start
                }
            }
            let assignError = isCooperative
                ? rd_kafka_error_code(rd_kafka_incremental_assign(handle, partitions))
                : rd_kafka_assign(handle, partitions)
            if assignError != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.error("assigning partitions failed", ["error": String(cString: rd_kafka_err2str(assignError))])
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            rebalanceHandler?.partitionsRevoked(names, isLost: rd_kafka_assignment_lost(handle) != 0)
            if isCooperative {
                _ = rd_kafka_incremental_unassign(handle, partitions)
            } else {
                rd_kafka_assign(handle, nil)
            }
        default:
            logger.error("rebalance failed", ["error": String(cString: rd_kafka_err2str(error))])
            rebalanceHandler?.partitionsRevoked(names, isLost: true)
            rd_kafka_assign(handle, nil)
        }
    }
}
