import Foundation
import CRdKafka
import Telemetry

/// Builds an `rd_kafka_conf_t` from librdkafka property names and values.
struct RDKafkaConfig {
    let handle: OpaquePointer

    /// Applies `properties` in order.
    ///
    /// - Throws: ``KafkaError`` naming the property and librdkafka's reason, with the value hidden for secrets.
    init(_ properties: [(String, String)]) throws {
        handle = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(handle, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(handle)
                if result == RD_KAFKA_CONF_UNKNOWN {
                    // The value is left out: a misspelled secret key (sasl.pasword) is not recognised as secret.
                    throw KafkaError("unknown librdkafka property \(name); check its spelling against librdkafka's CONFIGURATION.md")
                }
                let isSecret = Redaction.isSecretKey(name)
                var reason = String(cString: errorText)
                if isSecret && !value.isEmpty {
                    // librdkafka's reason may quote the value.
                    reason = reason.replacingOccurrences(of: value, with: Redaction.mask)
                }
                throw KafkaError("invalid librdkafka property \(name)=\(isSecret ? Redaction.mask : value): \(reason)")
            }
        }
    }
}

/// Creates a librdkafka client handle, taking ownership of `config`.
func makeClient(type: rd_kafka_type_t, config: RDKafkaConfig) throws -> OpaquePointer {
    var errorText = [CChar](repeating: 0, count: 512)
    guard let handle = rd_kafka_new(type, config.handle, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(config.handle)
        throw KafkaError("cannot create the Kafka client: \(String(cString: errorText))")
    }
    return handle
}

/// Routes librdkafka's own log lines to `logger`.
final class LogBridge {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    static let callback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
        handle, level, facility, text in
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return }
        let context = Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
        let logLevel: LogLevel
        switch level {
        case 0...2: logLevel = .critical
        case 3: logLevel = .error
        case 4: logLevel = .warning
        case 5, 6: logLevel = .info
        default: logLevel = .debug
        }
        context.logger.log(
            logLevel, text.map { String(cString: $0) } ?? "",
            ["source": "librdkafka", "facility": facility.map { String(cString: $0) } ?? "", "client": context.name])
    }
}

/// The state librdkafka callbacks reach through the client's opaque pointer.
class ClientContext {
    let logger: Logger
    let name: String
    init(logger: Logger, name: String) {
        self.logger = logger
        self.name = name
    }
}
