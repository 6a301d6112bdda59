import Detection
import EQL
import Foundation
import Telemetry

/// Settings of `eqlstream run`, read from a properties file, then environment variables, then `--set` options.
///
/// Keys under `kafka.` go to librdkafka unchanged (without the prefix) for both the consumer and the producer;
/// `kafka.consumer.` and `kafka.producer.` keys go to one of them only.
public struct Configuration: Sendable {
    public var inputTopics: [String] = ["endpoint-events"]
    public var outputTopic = "eqlstream-alerts"
    public var rulesPath = "config/rules"
    /// `nil` means the rules' own slack: the largest lookback minus interval among the loaded rules.
    public var allowedLateness: Duration?
    public var defaultWindow: Duration = .seconds(540)
    public var maxHeldEvents = 100_000
    public var idleTimeout: Duration = .seconds(30)
    public var maxClockSkew: Duration = .seconds(300)
    public var commitInterval: Duration = .milliseconds(500)
    public var maxMessageBytes = 1_048_576
    /// Threads that decode a polled batch of messages; matching stays on the consumer thread.
    public var decodeThreads = Configuration.defaultDecodeThreads
    public static let defaultDecodeThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
    /// How long a lane waits for a co-partitioned topic that has nothing buffered before it goes on without it.
    public var mergeWait: Duration = .milliseconds(500)
    /// Whether `run` stops once every assigned partition has been read to its end, for backfills and benchmarks.
    public var stopsAtEnd = false
    /// Topic that receives a copy of every message that is not a usable event, or `nil` for none.
    public var deadLetterTopic: String?
    public var shutdownTimeout: Duration = .seconds(30)
    public var logLevel: LogLevel = .info
    public var logFormat: LogFormat = .logfmt
    /// Sample events per second that the embedded broker's generator produces.
    public var embeddedRate = 200
    public var embeddedPartitions = 4
    /// TCP port of the HTTP server for /metrics, /healthz and /readyz; 0 turns the server off.
    public var metricsPort = 0
    /// Numeric IPv4 or IPv6 address the metrics server listens on.
    public var metricsAddress = "127.0.0.1"
    /// `/readyz` fails while the member is more than this many messages behind the end of its partitions.
    public var maxReadyLag: Int64 = 10_000
    /// `/healthz` fails when the consumer loop has made no progress for this long.
    public var healthTimeout: Duration = .seconds(60)
    public var kafkaCommon: [(String, String)] = []
    public var kafkaConsumer: [(String, String)] = []
    public var kafkaProducer: [(String, String)] = []

    public init() {}

    /// Whether no broker is configured, so `run` starts the embedded one.
    public var isEmbedded: Bool {
        !(kafkaCommon + kafkaConsumer).contains { $0.0 == "bootstrap.servers" || $0.0 == "metadata.broker.list" }
    }

    /// The consumer group the service joins: `kafka.group.id` or `kafka.consumer.group.id`, else `eqlstream`.
    public var groupID: String {
        (kafkaCommon + kafkaConsumer).last { $0.0 == "group.id" }?.1 ?? "eqlstream"
    }

    /// The librdkafka properties for the consumer.
    public var consumerProperties: [(String, String)] {
        var properties: [(String, String)] = [("group.id", "eqlstream")]
        properties += kafkaCommon.filter { !Self.producerOnlyKeys.contains($0.0) }
        properties += kafkaConsumer
        return properties
    }

    /// The librdkafka properties for the alert producer.
    public var producerProperties: [(String, String)] {
        kafkaCommon.filter { key, _ in !Self.consumerOnlyKeys.contains(key) && !key.hasPrefix("fetch.") && !key.hasPrefix("queued.") }
            + kafkaProducer
    }

    static let consumerOnlyKeys: Set<String> = [
        "group.id", "group.instance.id", "auto.offset.reset", "session.timeout.ms", "heartbeat.interval.ms",
        "partition.assignment.strategy", "max.poll.interval.ms", "enable.auto.commit", "enable.auto.offset.store",
        "auto.commit.interval.ms", "isolation.level", "enable.partition.eof", "check.crcs", "group.protocol.type",
        "coordinator.query.interval.ms", "max.partition.fetch.bytes",
    ]
    static let producerOnlyKeys: Set<String> = [
        "linger.ms", "queue.buffering.max.ms", "enable.idempotence", "acks", "request.required.acks",
        "compression.codec", "compression.type", "message.timeout.ms", "delivery.timeout.ms", "batch.size",
        "batch.num.messages", "queue.buffering.max.messages", "queue.buffering.max.kbytes", "retries",
        "message.send.max.retries", "transactional.id", "partitioner",
    ]

    /// Every key the service reads besides `kafka.*`, with its meaning, for help and error messages.
    public static let keys: [(key: String, help: String)] = [
        ("input.topics", "comma-separated input topics, co-partitioned and keyed by process.entity_id (default endpoint-events)"),
        ("output.topic", "topic the alerts are produced to (default eqlstream-alerts)"),
        ("rules.path", "rule file, or folder of rule files: Kibana exports (.json, .ndjson) and detection-rules TOML (.toml) (default config/rules)"),
        ("detection.allowed.lateness", "how late an event may arrive and still match, e.g. 4m; default: the rules' lookback minus interval"),
        ("detection.default.window", "sequence window for rules with neither maxspan nor lookback (default 9m)"),
        ("detection.max.held.events", "cap on events held for sequences per partition, 1 to 100000000; the oldest are evicted (default 100000)"),
        ("detection.max.clock.skew", "events further ahead of the wall clock are counted and logged as clock skew; the watermark never passes the wall clock (default 5m)"),
        ("detection.idle.timeout", "wall-clock time after which an idle partition expires its state anyway, more than 0 (default 30s)"),
        ("commit.interval", "how often offsets and checkpoints are committed, 10ms to 1h (default 500ms)"),
        ("input.dead.letter.topic", "topic that receives a copy of each message that is not a usable event, with the reason in headers (default: none)"),
        ("input.stop.at.end", "true to stop once every assigned partition is read to its end, for backfills and benchmarks (default false)"),
        ("input.max.message.bytes", "size in bytes, 1 to 1000000000, above which a message is rejected as oversized (default 1048576)"),
        ("input.decode.threads", "threads that decode each polled batch of messages, 1 to 64; matching runs on one thread (default: the number of cores, at most 4)"),
        ("input.merge.wait", "with several input topics, how long a partition waits for another topic's events so they are matched in time order (default 500ms)"),
        ("shutdown.timeout", "how long shutdown may take to flush alerts, commit and leave the group, 100ms to 1h (default 30s)"),
        ("log.level", "trace, debug, info, notice, warning, error or critical (default info)"),
        ("log.format", "logfmt or json (default logfmt)"),
        ("embedded.rate", "sample events per second when no broker is configured, 1 to 1000000 (default 200)"),
        ("embedded.partitions", "partitions of the embedded broker's topics, 1 to 1000 (default 4)"),
        ("metrics.port", "TCP port of the HTTP server for /metrics (Prometheus), /healthz and /readyz; 0 turns it off (default 0)"),
        ("metrics.address", "numeric IPv4 or IPv6 address the metrics server listens on; 0.0.0.0 listens on every interface (default 127.0.0.1)"),
        ("metrics.ready.max.lag", "/readyz reports not ready while the assigned partitions are more than this many messages behind their end (default 10000)"),
        ("metrics.health.timeout", "/healthz reports unhealthy when the consumer loop made no progress for this long; keep it above shutdown.timeout (default 60s)"),
    ]

    /// Applies one key. Throws for unknown keys and invalid values, naming both.
    public mutating func apply(key: String, value: String, source: String) throws {
        func fail(_ expected: String) -> ConfigurationError {
            let shown = Redaction.isSecretKey(key) ? Redaction.mask : value
            return ConfigurationError("\(source): invalid value \"\(shown)\" for \(key); expected \(expected)")
        }
        func duration(_ range: ClosedRange<Duration> = .zero ... .nanoseconds(Int64.max)) throws -> Duration {
            guard let parsed = TimeSpan.parse(value) else { throw fail("a duration such as 500ms, 30s, 4m or 1h") }
            guard range.contains(parsed) else {
                throw fail("a duration from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))")
            }
            return parsed
        }
        func positive(max: Int = Int.max) throws -> Int {
            guard let number = Int(value), number > 0 else { throw fail("a positive whole number") }
            guard number <= max else { throw fail("a whole number from 1 to \(max)") }
            return number
        }
        let positiveSpan: ClosedRange<Duration> = .milliseconds(1) ... .nanoseconds(Int64.max)
        switch key {
        case "input.topics":
            let topics = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !topics.isEmpty else { throw fail("one or more topic names separated by commas") }
            inputTopics = topics
        case "output.topic":
            guard !value.isEmpty else { throw fail("a topic name") }
            outputTopic = value
        case "rules.path": rulesPath = value
        case "detection.allowed.lateness": allowedLateness = value == "auto" ? nil : try duration()
        case "detection.default.window": defaultWindow = try duration(positiveSpan)
        case "detection.max.held.events": maxHeldEvents = try positive(max: 100_000_000)
        case "detection.idle.timeout": idleTimeout = try duration(positiveSpan)
        case "detection.max.clock.skew": maxClockSkew = try duration()
        case "commit.interval": commitInterval = try duration(.milliseconds(10) ... .seconds(3600))
        case "input.max.message.bytes": maxMessageBytes = try positive(max: 1_000_000_000)
        case "input.merge.wait": mergeWait = try duration()
        case "input.decode.threads": decodeThreads = try positive(max: 64)
        case "input.dead.letter.topic": deadLetterTopic = value.isEmpty ? nil : value
        case "input.stop.at.end":
            guard let flag = Bool(value) else { throw fail("true or false") }
            stopsAtEnd = flag
        case "shutdown.timeout": shutdownTimeout = try duration(.milliseconds(100) ... .seconds(3600))
        case "log.level":
            guard let level = LogLevel(name: value) else { throw fail(LogLevel.allCases.map(\.name).joined(separator: ", ")) }
            logLevel = level
        case "log.format":
            guard let format = LogFormat(rawValue: value) else { throw fail("logfmt or json") }
            logFormat = format
        case "embedded.rate": embeddedRate = try positive(max: 1_000_000)
        case "embedded.partitions": embeddedPartitions = try positive(max: 1000)
        case "metrics.port":
            guard let port = Int(value), (0...65_535).contains(port) else { throw fail("a TCP port from 1 to 65535, or 0 for off") }
            metricsPort = port
        case "metrics.address":
            guard Self.isNumericAddress(value) else { throw fail("a numeric IPv4 or IPv6 address such as 127.0.0.1 or ::1") }
            metricsAddress = value
        case "metrics.ready.max.lag":
            guard let lag = Int64(value), lag >= 0 else { throw fail("a whole number of messages, 0 or more") }
            maxReadyLag = lag
        case "metrics.health.timeout": healthTimeout = try duration()
        case _ where key.hasPrefix("kafka."):
            if Redaction.isSecretKey(key) {
                // Registered so that log lines and error messages, librdkafka's included, never show the value.
                Redaction.register(secret: value)
            }
            try applyKafka(key: key, value: value)
        default:
            var message = "\(source): unknown configuration key \"\(key)\""
            if let suggestion = Self.closestKey(to: key) { message += ". Did you mean \"\(suggestion)\"?" }
            else { message += "." }
            message += " librdkafka properties take the prefix kafka., for example kafka.bootstrap.servers."
            throw ConfigurationError(message)
        }
    }

    /// Adds a librdkafka property: `kafka.consumer.` and `kafka.producer.` keys for one client, other `kafka.`
    /// keys for both.
    private mutating func applyKafka(key: String, value: String) throws {
        var property = String(key.dropFirst("kafka.".count))
        if property.hasPrefix("consumer.") {
            property.removeFirst("consumer.".count)
            kafkaConsumer.append((property, value))
        } else if property.hasPrefix("producer.") {
            property.removeFirst("producer.".count)
            kafkaProducer.append((property, value))
        } else {
            kafkaCommon.append((property, value))
        }
        guard !property.isEmpty else {
            throw ConfigurationError("\(key) names no librdkafka property; write kafka.PROPERTY, e.g. kafka.bootstrap.servers")
        }
    }

    /// Formats a duration limit the way the configuration spells durations.
    static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    /// Loads a properties file, then `EQLSTREAM_*` environment variables, then `overrides` (from `--set`).
    ///
    /// An environment variable names a key in upper case with `_` for `.` and `__` for `_`:
    /// `EQLSTREAM_KAFKA_BOOTSTRAP_SERVERS` sets `kafka.bootstrap.servers`.
    public static func load(file: String?, environment: [String: String], overrides: [String]) throws -> Configuration {
        var configuration = Configuration()
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ConfigurationError(
                    "cannot read the configuration file \(file) (\(Self.unreadableReason(file))); check the path given to --config")
            }
            for entry in try PropertiesParser.parse(String(decoding: data, as: UTF8.self), source: file) {
                try configuration.apply(key: entry.key, value: entry.value, source: "\(file):\(entry.line)")
            }
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("EQLSTREAM_") {
            let key = Self.key(fromEnvironmentName: String(name.dropFirst("EQLSTREAM_".count)))
            try configuration.apply(key: key, value: value, source: "environment variable \(name)")
        }
        for item in overrides {
            guard let separator = item.firstIndex(of: "=") else {
                // The text may be a secret written with the wrong separator, so a secret-looking one is not shown.
                let shown = Redaction.isSecretKey(item) ? Redaction.mask : item
                throw ConfigurationError("--set \(shown): expected key=value")
            }
            try configuration.apply(
                key: String(item[..<separator]), value: String(item[item.index(after: separator)...]), source: "--set")
        }
        return configuration
    }

    static func isNumericAddress(_ text: String) -> Bool {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, text, &ipv4) == 1 || inet_pton(AF_INET6, text, &ipv6) == 1
    }

    /// Returns why `file` cannot be read: missing, a folder, or the system's reason for failing to open it.
    static func unreadableReason(_ file: String) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else { return "no such file" }
        if isDirectory.boolValue { return "it is a folder" }
        let descriptor = open(file, O_RDONLY)
        guard descriptor < 0 else {
            close(descriptor)
            return "reading it failed"
        }
        return String(cString: strerror(errno)).lowercased()
    }

    static func key(fromEnvironmentName name: String) -> String {
        name.lowercased().replacingOccurrences(of: "__", with: "\u{0}").replacingOccurrences(of: "_", with: ".")
            .replacingOccurrences(of: "\u{0}", with: "_")
    }

    static func closestKey(to key: String) -> String? {
        let candidates = keys.map(\.key)
        let scored = candidates.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, key.count / 4) else { return nil }
        return best
    }

    /// Returns the Levenshtein distance between two strings, for "did you mean" suggestions.
    public static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Returns the allowed lateness for `rules`: the configured value, else the largest lookback minus interval (the slack
    /// Kibana's schedule gives a rule), else 4 minutes.
    public func lateness(for rules: [Rule]) -> Duration {
        if let allowedLateness { return allowedLateness }
        let slacks = rules.compactMap { rule -> Duration? in
            guard let lookback = rule.lookback, let interval = rule.intervalSpan, lookback > interval else { return nil }
            return lookback - interval
        }
        return slacks.max() ?? .seconds(240)
    }
}
