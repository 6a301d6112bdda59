import Foundation
import Kafka
import Testing

@Suite("Bad input through the dev broker", .serialized)
struct BadInputTests {
    /// One message of each kind that is not a usable event, with the reason it must be counted under.
    static let badMessages: [(reason: String, bytes: [UInt8])] = [
        ("invalid_json", Array(#"{"@timestamp":"2019-03-18T16:57:40Z","event":"#.utf8)),
        ("not_an_object", Array(#"["@timestamp","2019-03-18T16:57:40Z"]"#.utf8)),
        ("invalid_utf8", Array(#"{"@timestamp":"2019-03-18T16:57:40Z","user":{"name":""#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8)),
        ("oversized", Array((#"{"@timestamp":"2019-03-18T16:57:40Z","pad":""# + String(repeating: "x", count: 6000) + #""}"#).utf8)),
        ("wrong_field_type", Array(#"{"@timestamp":{"value":"2019-03-18T16:57:40Z"}}"#.utf8)),
        ("unparseable_timestamp", Array(#"{"@timestamp":"yesterday at noon"}"#.utf8)),
        ("missing_timestamp", Array(#"{"event":{"category":["process"]}}"#.utf8)),
    ]

    @Test("bad messages are counted and passed over")
    func badMessagesCountedAndPassed() throws {
        let broker = try DevBroker(topics: ["events": 1, "alerts": 1, "dead-letters": 1])
        let cases = CorpusEvent.timeOrdered(try CorpusEvent.load("labelled_cases.ndjson"))
        var messages: [[UInt8]] = []
        for (index, event) in cases.enumerated() {
            messages.append(Array(event.line.utf8))
            if index < Self.badMessages.count { messages.append(Self.badMessages[index].bytes) }
        }
        // A later event moves the watermark past every sequence's window, so no held event pins the offset.
        messages.append(Array(#"{"@timestamp":"2030-01-01T00:00:00Z","event":{"category":["file"]}}"#.utf8))
        let producer = try KafkaProducer(properties: [("bootstrap.servers", broker.bootstrap)], logger: quietLogger)
        for (index, message) in messages.enumerated() {
            try producer.produce(topic: "events", key: nil, value: message, token: index)
        }
        _ = try producer.flush(timeoutMilliseconds: 30_000)

        let service = try ChildProcess(
            arguments: [
                "run", "--set", "kafka.bootstrap.servers=\(broker.bootstrap)", "--set", "kafka.group.id=bad-input",
                "--set", "kafka.consumer.session.timeout.ms=6000", "--set", "input.topics=events",
                "--set", "output.topic=alerts", "--set", "input.dead.letter.topic=dead-letters",
                "--set", "input.max.message.bytes=5000", "--set", "commit.interval=200ms",
                // The closing event is years ahead of the 2019 cases; a wide clock skew keeps the run quiet.
                "--set", "detection.max.clock.skew=100000d",
            ],
            name: "bad-input")
        let expected = try expectedAlertEntities()
        let alerts = try readAlerts(bootstrap: broker.bootstrap, topic: "alerts", expected: expected.count,
                                    timeout: .seconds(60), settle: .seconds(2))
        #expect(alerts.compactMap(\.entityID).sorted() == expected, "log:\n\(service.log().suffix(3000))")

        // The committed offset passes every message, the bad ones included.
        let probe = try KafkaConsumer(
            properties: [("bootstrap.servers", broker.bootstrap), ("group.id", "bad-input"), ("log_level", "3")],
            logger: quietLogger, rebalanceHandler: PlainGroupMember())
        let partition = TopicPartition(topic: "events", partition: 0)
        let deadline = ContinuousClock.now + .seconds(30)
        var committed: Int64 = -1
        while ContinuousClock.now < deadline {
            committed = try probe.committed([partition])[partition]?.offset ?? -1
            if committed == Int64(messages.count) { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(committed == Int64(messages.count), "log:\n\(service.log().suffix(3000))")

        service.signal(SIGTERM)
        #expect(try service.waitForExit(timeout: .seconds(30)) == 0)
        let summary = try #require(service.log().split(separator: "\n").last { $0.contains("processor stopped") })
        for (reason, _) in Self.badMessages {
            #expect(counter("bad_\(reason)", in: summary) == 1, "\(reason) in: \(summary)")
        }
        #expect(counter("dead_lettered", in: summary) == Self.badMessages.count)

        // The dead-letter topic holds one copy of each bad message.
        let copies = try probe.watermarks(TopicPartition(topic: "dead-letters", partition: 0))
        #expect(copies.high - copies.low == Int64(Self.badMessages.count))
    }
}
