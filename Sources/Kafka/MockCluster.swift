import CRdKafka
import Telemetry

/// librdkafka's in-process mock Kafka cluster, reachable over TCP on 127.0.0.1.
///
/// It speaks the Kafka protocol well enough for producers, consumer groups and offset commits with metadata.
/// Each partition keeps only about 5 MiB of messages (librdkafka 2.0.2), like a broker with tight retention.
public final class MockCluster {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    private let context: ClientContext
    public let brokerCount: Int

    public init(brokers: Int, logger: Logger) throws {
        precondition(brokers >= 1, "a mock cluster needs at least one broker")
        let config = try RDKafkaConfig([("log_level", "3")])
        context = ClientContext(logger: logger, name: "mock-cluster")
        rd_kafka_conf_set_opaque(config.handle, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(config.handle, LogBridge.callback)
        owner = try makeClient(type: RD_KAFKA_PRODUCER, config: config)
        guard let created = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw KafkaError("cannot start the mock cluster")
        }
        cluster = created
        brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// The `bootstrap.servers` value for clients of this cluster.
    public var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let error = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "creating topic \(name) failed") }
    }

    /// Disconnects a broker (ids start at 1); partitions it leads become unreachable until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ broker: Int32) throws {
        let error = rd_kafka_mock_broker_set_down(cluster, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "taking broker \(broker) down failed") }
    }

    public func setBrokerUp(_ broker: Int32) throws {
        let error = rd_kafka_mock_broker_set_up(cluster, broker)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "bringing broker \(broker) up failed") }
    }

    /// Makes the next `count` requests with API key `apiKey` fail with `errorCode`.
    public func pushRequestErrors(apiKey: Int16, errorCode: Int32, count: Int) {
        let errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: errorCode), count: count)
        errors.withUnsafeBufferPointer {
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, $0.count, $0.baseAddress)
        }
    }
}
