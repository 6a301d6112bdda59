import CRdKafka

/// Checks librdkafka properties before any client is created.
public enum KafkaPropertyCheck {
    /// Applies `properties` to a scratch librdkafka configuration, so that an unknown property or an invalid value
    /// fails at start with the property named.
    ///
    /// - Throws: ``KafkaError`` with librdkafka's reason and the value hidden for secrets.
    public static func validate(_ properties: [(String, String)]) throws {
        let config = try RDKafkaConfig(properties)
        rd_kafka_conf_destroy(config.handle)
    }
}
