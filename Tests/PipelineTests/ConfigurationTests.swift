import Foundation
import Pipeline
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eqlstream-\(UUID().uuidString).properties").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("properties file with comments and continuations")
    func propertiesFile() throws {
        let path = try write("""
            # comment
            ! another comment
            input.topics = process-events, \\
                network-events
            output.topic: alerts
            kafka.bootstrap.servers=127.0.0.1:9092
            kafka.consumer.fetch.wait.max.ms=50
            kafka.producer.linger.ms=1
            """)
        let configuration = try Configuration.load(file: path, environment: [:], overrides: [])
        #expect(configuration.inputTopics == ["process-events", "network-events"])
        #expect(configuration.outputTopic == "alerts")
        #expect(configuration.isEmbedded == false)
        #expect(configuration.consumerProperties.contains { $0 == ("fetch.wait.max.ms", "50") })
        #expect(!configuration.producerProperties.contains { $0.0 == "fetch.wait.max.ms" })
        #expect(configuration.producerProperties.contains { $0 == ("linger.ms", "1") })
        #expect(configuration.producerProperties.contains { $0 == ("bootstrap.servers", "127.0.0.1:9092") })
    }

    @Test("environment overrides the file and --set overrides both")
    func overrideOrder() throws {
        let path = try write("output.topic=from-file\nlog.level=info\n")
        let configuration = try Configuration.load(
            file: path, environment: ["EQLSTREAM_OUTPUT_TOPIC": "from-env", "EQLSTREAM_LOG_LEVEL": "debug", "HOME": "/root"],
            overrides: ["output.topic=from-set"])
        #expect(configuration.outputTopic == "from-set")
        #expect(configuration.logLevel == .debug)
    }

    @Test("environment name maps to a librdkafka key")
    func environmentName() throws {
        let configuration = try Configuration.load(
            file: nil, environment: ["EQLSTREAM_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "EQLSTREAM_KAFKA_LOG__LEVEL": "3"],
            overrides: [])
        #expect(configuration.kafkaCommon.contains { $0 == ("bootstrap.servers", "127.0.0.1:1") })
        #expect(configuration.kafkaCommon.contains { $0 == ("log_level", "3") })
    }

    @Test("unknown key names the line and a suggestion")
    func unknownKey() throws {
        let path = try write("output.topic=a\nouput.topic=b\n")
        do {
            _ = try Configuration.load(file: path, environment: [:], overrides: [])
            Issue.record("expected an error")
        } catch let error as ConfigurationError {
            #expect(error.message.contains(":2:"))
            #expect(error.message.contains("Did you mean \"output.topic\"?"))
        }
    }

    @Test("invalid duration names the key and the form")
    func invalidDuration() throws {
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(file: nil, environment: [:], overrides: ["commit.interval=soon"])
        }
        do {
            _ = try Configuration.load(file: nil, environment: [:], overrides: ["commit.interval=soon"])
        } catch let error as ConfigurationError {
            #expect(error.message.contains("commit.interval"))
            #expect(error.message.contains("500ms"))
        }
    }

    @Test("lateness defaults to lookback minus interval")
    func latenessDefault() throws {
        let rules = try Fixtures.ruleSet().rules.map(\.rule)
        #expect(Configuration().lateness(for: rules) == .seconds(240))
        var configured = Configuration()
        configured.allowedLateness = .seconds(30)
        #expect(configured.lateness(for: rules) == .seconds(30))
    }
}

extension ConfigurationTests {
    @Test("metrics keys and their defaults")
    func metricsKeys() throws {
        let defaults = try Configuration.load(file: nil, environment: [:], overrides: [])
        #expect(defaults.metricsPort == 0)
        #expect(defaults.metricsAddress == "127.0.0.1")
        #expect(defaults.maxReadyLag == 10_000)
        #expect(defaults.healthTimeout == .seconds(60))
        let configuration = try Configuration.load(
            file: nil, environment: ["EQLSTREAM_METRICS_PORT": "9464"],
            overrides: ["metrics.address=::1", "metrics.ready.max.lag=0", "metrics.health.timeout=2m"])
        #expect(configuration.metricsPort == 9464)
        #expect(configuration.metricsAddress == "::1")
        #expect(configuration.maxReadyLag == 0)
        #expect(configuration.healthTimeout == .seconds(120))
    }

    @Test("invalid metrics values name the key")
    func invalidMetricsValues() {
        for (item, key) in [
            ("metrics.port=70000", "metrics.port"), ("metrics.port=-1", "metrics.port"),
            ("metrics.address=localhost", "metrics.address"), ("metrics.address=10.0.0", "metrics.address"),
            ("metrics.ready.max.lag=-5", "metrics.ready.max.lag"), ("metrics.health.timeout=soon", "metrics.health.timeout"),
        ] {
            #expect {
                try Configuration.load(file: nil, environment: [:], overrides: [item])
            } throws: { error in
                "\(error)".contains(key)
            }
        }
    }
}
