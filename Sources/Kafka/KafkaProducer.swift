import CRdKafka
import Telemetry

/// A delivery report for one produced message.
public struct DeliveryReport: Sendable {
    /// The token given to ``KafkaProducer/produce(topic:key:value:token:)``.
    public var token: Int
    public var partition: Int32
    public var offset: Int64
    /// `nil` when the broker acknowledged the message.
    public var error: KafkaError?
}

/// A producer for alerts: idempotent, `acks=all`, with delivery reports collected during ``poll(timeoutMilliseconds:)``.
///
/// Not thread-safe: one thread produces and polls.
public final class KafkaProducer {
    private let handle: OpaquePointer
    private let context: ProducerContext
    private var topics: [String: OpaquePointer] = [:]
    public let logger: Logger

    public init(properties: [(String, String)], logger: Logger, idempotent: Bool = true) throws {
        self.logger = logger
        var settings: [(String, String)] = [
            ("socket.nagle.disable", "true"),
            ("linger.ms", "5"),
        ]
        if idempotent { settings.append(("enable.idempotence", "true")) }
        settings.append(contentsOf: properties)
        let config = try RDKafkaConfig(settings)
        context = ProducerContext(logger: logger, name: "producer")
        rd_kafka_conf_set_opaque(config.handle, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(config.handle, LogBridge.callback)
        rd_kafka_conf_set_dr_msg_cb(config.handle, ProducerContext.deliveryCallback)
        handle = try makeClient(type: RD_KAFKA_PRODUCER, config: config)
    }

    deinit {
        for topic in topics.values { rd_kafka_topic_destroy(topic) }
        rd_kafka_destroy(handle)
    }

    /// Messages produced but not yet acknowledged or failed, including librdkafka's internal ones.
    public var outstandingCount: Int { Int(rd_kafka_outq_len(handle)) }

    /// Queues a message; the delivery report carries `token`. Waits while librdkafka's queue is full.
    public func produce(topic: String, key: [UInt8]?, value: [UInt8], token: Int, partition: Int32 = RD_KAFKA_PARTITION_UA) throws {
        let topicHandle = try topicHandle(topic)
        while true {
            let opaque = UnsafeMutableRawPointer(bitPattern: token + 1)
            let result = value.withUnsafeBytes { valueBytes in
                if let key {
                    return key.withUnsafeBytes { keyBytes in
                        rd_kafka_produce(
                            topicHandle, partition, RD_KAFKA_MSG_F_COPY, UnsafeMutableRawPointer(mutating: valueBytes.baseAddress),
                            valueBytes.count, keyBytes.baseAddress, keyBytes.count, opaque)
                    }
                }
                return rd_kafka_produce(
                    topicHandle, partition, RD_KAFKA_MSG_F_COPY, UnsafeMutableRawPointer(mutating: valueBytes.baseAddress),
                    valueBytes.count, nil, 0, opaque)
            }
            if result == 0 { return }
            let error = rd_kafka_last_error()
            guard error == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(error, context: "producing to \(topic) failed")
            }
            rd_kafka_poll(handle, 10)
        }
    }

    /// Queues a message with headers (no key); the delivery report carries `token`. Waits while the queue is full.
    public func produce(topic: String, value: [UInt8], headers: [(String, String)], token: Int) throws {
        while true {
            let list = rd_kafka_headers_new(headers.count)!
            for (name, text) in headers {
                let bytes = Array(text.utf8)
                _ = bytes.withUnsafeBytes { rd_kafka_header_add(list, name, -1, $0.baseAddress, $0.count) }
            }
            let error: rd_kafka_resp_err_t = topic.withCString { topicName in
                value.withUnsafeBytes { valueBytes in
                    var values = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 5)
                    values[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    values[0].u.cstr = topicName
                    values[1].vtype = RD_KAFKA_VTYPE_VALUE
                    values[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                    values[1].u.mem.size = valueBytes.count
                    values[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    values[2].u.i = RD_KAFKA_MSG_F_COPY
                    values[3].vtype = RD_KAFKA_VTYPE_HEADERS
                    values[3].u.headers = list
                    values[4].vtype = RD_KAFKA_VTYPE_OPAQUE
                    values[4].u.ptr = UnsafeMutableRawPointer(bitPattern: token + 1)
                    let result = rd_kafka_produceva(handle, values, values.count)
                    let code = rd_kafka_error_code(result)
                    if let result { rd_kafka_error_destroy(result) }
                    return code
                }
            }
            if error == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            // librdkafka keeps the headers only when it takes the message.
            rd_kafka_headers_destroy(list)
            guard error == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(error, context: "producing to \(topic) failed")
            }
            rd_kafka_poll(handle, 10)
        }
    }

    /// Serves delivery reports, waiting at most `timeoutMilliseconds`, and returns the reports collected.
    public func poll(timeoutMilliseconds: Int32) -> [DeliveryReport] {
        rd_kafka_poll(handle, timeoutMilliseconds)
        return context.takeReports()
    }

    /// Waits until every queued message is acknowledged or failed, up to `timeoutMilliseconds`, and returns the
    /// delivery reports served meanwhile. Throws when the timeout passes first.
    public func flush(timeoutMilliseconds: Int32) throws -> [DeliveryReport] {
        let error = rd_kafka_flush(handle, timeoutMilliseconds)
        let reports = context.takeReports()
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            context.pendingReports = reports
            throw KafkaError(error, context: "flushing \(outstandingCount) queued alerts timed out")
        }
        return reports
    }

    /// Removes the messages still waiting in librdkafka's queue, so they are never sent; their delivery reports
    /// arrive with an error at the next poll. Messages already sent to a broker are left alone.
    public func purgeQueued() {
        _ = rd_kafka_purge(handle, Int32(RD_KAFKA_PURGE_F_QUEUE))
    }

    /// Returns the number of partitions of each topic in `topics`; a topic the cluster does not have is left out.
    public func partitionCounts(_ topics: [String], timeoutMilliseconds: Int32 = 10_000) throws -> [String: Int] {
        try fetchPartitionCounts(handle: handle, topics: topics, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Returns the fatal error of an idempotent producer, or `nil` while it can still deliver.
    public var fatalError: KafkaError? {
        var text = [CChar](repeating: 0, count: 512)
        let error = rd_kafka_fatal_error(handle, &text, text.count)
        guard error != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: error.rawValue, "fatal producer error: \(String(cString: text))")
    }

    private func topicHandle(_ topic: String) throws -> OpaquePointer {
        if let existing = topics[topic] { return existing }
        guard let created = rd_kafka_topic_new(handle, topic, nil) else {
            throw KafkaError(rd_kafka_last_error(), context: "cannot open topic \(topic)")
        }
        topics[topic] = created
        return created
    }
}

final class ProducerContext: ClientContext {
    var pendingReports: [DeliveryReport] = []

    func takeReports() -> [DeliveryReport] {
        defer { pendingReports.removeAll(keepingCapacity: true) }
        return pendingReports
    }

    static let deliveryCallback:
        @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
            _, message, opaque in
            guard let message, let opaque else { return }
            let context = Unmanaged<ProducerContext>.fromOpaque(opaque).takeUnretainedValue()
            let element = message.pointee
            let token = Int(bitPattern: element._private) - 1
            let error = element.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(element.err, context: "alert delivery failed")
            context.pendingReports.append(
                DeliveryReport(token: token, partition: element.partition, offset: element.offset, error: error))
        }
}
