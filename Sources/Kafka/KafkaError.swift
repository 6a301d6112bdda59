import CRdKafka

/// A failure reported by librdkafka, or a misuse of it detected before calling it.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's error code (`rd_kafka_resp_err_t`), or `nil` for configuration errors.
    public var code: Int32?
    public var message: String

    public init(code: Int32? = nil, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: rd_kafka_resp_err_t, context: String) {
        self.code = error.rawValue
        self.message = "\(context): \(String(cString: rd_kafka_err2str(error)))"
    }

    public var description: String { message }

    /// Whether the error only means that a rebalance got in the way, so a commit will be retried or replayed.
    public var isRebalanceConflict: Bool {
        guard let code else { return false }
        return code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION.rawValue
            || code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue
            || code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID.rawValue
            || code == RD_KAFKA_RESP_ERR__STATE.rawValue
    }
}

/// Returns librdkafka's name for an error code, such as `Broker: Unknown topic or partition`.
public func kafkaErrorText(_ code: Int32) -> String {
    String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: code)))
}

/// The version of the librdkafka library loaded at run time, such as `2.0.2`.
public var librdkafkaVersion: String { String(cString: rd_kafka_version_str()) }
