import Foundation
import Kafka
import Testing

@Suite("Metrics endpoints of run", .serialized)
struct MetricsEndpointTests {
    static let inputTopic = "metrics-events"
    static let outputTopic = "metrics-alerts"
    static let partitions = 4

    /// Returns the first response to `path`, retrying while the connection is refused.
    static func firstAnswer(port: Int, path: String, service: ChildProcess) throws -> HTTPScraper.Response {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? HTTPScraper.get(port: port, path: path) { return response }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw HarnessError("no answer on 127.0.0.1:\(port)\(path); log:\n\(service.log().suffix(3000))")
    }

    /// Polls `path` until it returns `status`, and returns that response.
    static func waitForStatus(_ status: Int, port: Int, path: String, timeout: Duration) throws -> HTTPScraper.Response? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let response = try HTTPScraper.get(port: port, path: path)
            if response.status == status { return response }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    @Test("run exposes counts that match the topics")
    func countsMatchTopics() throws {
        let broker = try DevBroker(topics: [Self.inputTopic: Self.partitions, Self.outputTopic: 2])
        let port = try HTTPScraper.freePort()
        let service = try ChildProcess(
            arguments: [
                "run", "--set", "kafka.bootstrap.servers=\(broker.bootstrap)", "--set", "kafka.group.id=metrics",
                "--set", "kafka.consumer.session.timeout.ms=6000", "--set", "input.topics=\(Self.inputTopic)",
                "--set", "output.topic=\(Self.outputTopic)", "--set", "rules.path=config/rules",
                "--set", "commit.interval=200ms", "--set", "metrics.port=\(port)",
            ],
            name: "metrics")

        // Before the group assigns partitions the member is alive but not ready.
        let first = try Self.firstAnswer(port: port, path: "/readyz", service: service)
        #expect(first.status == 503, "first /readyz: \(first.body)")
        #expect(first.body.contains("no partitions assigned"), "first /readyz: \(first.body)")
        #expect(try HTTPScraper.get(port: port, path: "/healthz").status == 200)

        let ready = try Self.waitForStatus(200, port: port, path: "/readyz", timeout: .seconds(60))
        #expect(ready != nil, "log:\n\(service.log().suffix(3000))")
        #expect(service.log().contains("partitions assigned"), "ready before assignment: \(ready?.body ?? "")")

        // The corpus and the labelled cases in time order, with two messages that are not events.
        let events = CorpusEvent.timeOrdered(try CorpusEvent.load("real_ecs_events.ndjson")
            + (try CorpusEvent.load("labelled_cases.ndjson")))
        try produce(events, bootstrap: broker.bootstrap) { _ in Self.inputTopic }
        let producer = try KafkaProducer(properties: [("bootstrap.servers", broker.bootstrap)], logger: quietLogger)
        try producer.produce(topic: Self.inputTopic, key: nil, value: Array(#"{"@timestamp":"#.utf8), token: 0)
        try producer.produce(topic: Self.inputTopic, key: nil, value: Array(#"{"event":{}}"#.utf8), token: 1)
        _ = try producer.flush(timeoutMilliseconds: 30_000)
        let produced = events.count + 2

        let expected = try expectedAlertEntities()
        let alerts = try readAlerts(bootstrap: broker.bootstrap, topic: Self.outputTopic, expected: expected.count,
                                    timeout: .seconds(60), settle: .seconds(2))
        #expect(alerts.count == expected.count, "log:\n\(service.log().suffix(3000))")

        // Snapshots trail the consumer by up to 250 ms, so scrape until the consumed count settles.
        var metrics = try Exposition("")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let response = try HTTPScraper.get(port: port, path: "/metrics")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            metrics = try Exposition(response.body)
            if metrics.sum("eqlstream_events_consumed_total") >= Double(produced),
               metrics.sum("eqlstream_consumer_lag_messages") == 0
            {
                break
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(metrics.sum("eqlstream_events_consumed_total") == Double(produced))
        #expect(metrics.sum("eqlstream_alerts_produced_total") == Double(alerts.count))
        #expect(metrics.sum("eqlstream_alerts_produced_total") == 3)
        #expect(metrics.sum("eqlstream_bad_messages_total", matching: ["reason": "invalid_json"]) == 1)
        #expect(metrics.sum("eqlstream_bad_messages_total", matching: ["reason": "missing_timestamp"]) == 1)
        #expect(metrics.sum("eqlstream_bad_messages_total") == 2)
        #expect(metrics.sum("eqlstream_assigned_partitions") == Double(Self.partitions))
        #expect(metrics.sum("eqlstream_rebalances_total", matching: ["event": "assigned"]) >= 1)
        #expect(metrics.sum("eqlstream_rule_stage_matches_total", matching: ["stage": "2"]) >= 3)
        #expect(metrics.sum("eqlstream_commit_duration_seconds_count") >= 1)
        let evaluated = Double(produced - 2) - metrics.sum("eqlstream_late_events_total")
        #expect(metrics.sum("eqlstream_rule_events_evaluated_total") == evaluated)

        // docs/metrics.md describes exactly the families the service exposes.
        let documentation = try String(
            contentsOf: Paths.packageRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        let documented = Set(documentation.split(separator: "\n").filter { $0.hasPrefix("| `eqlstream_") }.map {
            String($0.dropFirst(3).prefix { $0 != "`" })
        })
        #expect(documented == Set(metrics.types.map(\.name)))

        // Per partition, the consumed count is the partition's end offset and the lag is zero.
        let probe = try KafkaConsumer(
            properties: [("bootstrap.servers", broker.bootstrap), ("group.id", "metrics-probe"), ("log_level", "3")],
            logger: quietLogger, rebalanceHandler: PlainGroupMember())
        for number in 0..<Self.partitions {
            let labels = ["topic": Self.inputTopic, "partition": String(number)]
            let high = try probe.watermarks(TopicPartition(topic: Self.inputTopic, partition: Int32(number))).high
            #expect(metrics.sum("eqlstream_events_consumed_total", matching: labels) == Double(high), "partition \(number)")
            #expect(metrics.samples["eqlstream_consumer_lag_messages"]?.contains { $0.labels == labels } == true)
            #expect(metrics.sum("eqlstream_consumer_lag_messages", matching: labels) == 0, "partition \(number)")
        }

        #expect(try HTTPScraper.get(port: port, path: "/healthz").status == 200)
        #expect(try HTTPScraper.get(port: port, path: "/nowhere").status == 404)
        service.signal(SIGTERM)
        #expect(try service.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test("run fails when the metrics port is taken")
    func takenPortFails() throws {
        let broker = try DevBroker(brokers: 1, topics: [Self.inputTopic: 1, Self.outputTopic: 1])
        let port = try HTTPScraper.freePort()
        let holder = try ChildProcess(
            arguments: [
                "run", "--set", "kafka.bootstrap.servers=\(broker.bootstrap)", "--set", "input.topics=\(Self.inputTopic)",
                "--set", "output.topic=\(Self.outputTopic)", "--set", "metrics.port=\(port)",
            ],
            name: "metrics-holder")
        _ = try Self.firstAnswer(port: port, path: "/healthz", service: holder)
        let second = try ChildProcess(
            arguments: [
                "run", "--set", "kafka.bootstrap.servers=\(broker.bootstrap)", "--set", "input.topics=\(Self.inputTopic)",
                "--set", "output.topic=\(Self.outputTopic)", "--set", "metrics.port=\(port)",
            ],
            name: "metrics-second")
        #expect(try second.waitForExit(timeout: .seconds(30)) == 1)
        #expect(second.log().contains("cannot listen on 127.0.0.1:\(port)"), "log:\n\(second.log())")
        holder.signal(SIGTERM)
        #expect(try holder.waitForExit(timeout: .seconds(30)) == 0)
    }
}
