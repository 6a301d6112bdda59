import Foundation
import Kafka
import Testing

@Suite("Graceful shutdown through the dev broker", .serialized)
struct ShutdownTests {
    static let pairs = 1500
    static let batch = 10
    /// Seconds of event time between two events.
    static let step = 2.0

    /// Produces `pairs` signed-binary sequences, one entity each, in batches, so that they reach a run over
    /// a few seconds. A sequence's two events are `batch` pairs apart, so sequences are pending at any moment.
    /// Event times advance two seconds per event, so the stream spans many times the rule's one-minute window
    /// plus the allowed lateness, and held events expire while the run goes on, which lets committed offsets move.
    static func produceSequences(bootstrap: String) throws {
        let producer = try KafkaProducer(properties: [("bootstrap.servers", bootstrap)], logger: quietLogger)
        // The last event time is still a minute behind the wall clock.
        let base = Date().addingTimeInterval(-Double(2 * pairs) * step - 60)
        var index = 0
        func send(_ entity: String, _ json: String) throws {
            try producer.produce(topic: "events", key: Array(entity.utf8), value: Array(json.utf8), token: index)
            index += 1
        }
        for first in stride(from: 0, to: pairs, by: batch) {
            for pair in first..<min(first + batch, pairs) {
                let entity = "entity-\(pair)"
                let time = base.addingTimeInterval(Double(index) * step)
                try send(entity, SignedBinarySequence.start(entity: entity, process: "expand.exe", time: time))
                if pair >= batch {
                    let earlier = "entity-\(pair - batch)"
                    let time = base.addingTimeInterval(Double(index) * step)
                    try send(earlier, SignedBinarySequence.connection(entity: earlier, process: "expand.exe", time: time))
                }
            }
            _ = producer.poll(timeoutMilliseconds: 0)
            Thread.sleep(forTimeInterval: 0.05)
        }
        for pair in max(pairs - batch, 0)..<pairs {
            let entity = "entity-\(pair)"
            let time = base.addingTimeInterval(Double(index) * step)
            try send(entity, SignedBinarySequence.connection(entity: entity, process: "expand.exe", time: time))
        }
        let reports = try producer.flush(timeoutMilliseconds: 30_000)
        if let failed = reports.first(where: { $0.error != nil }) {
            throw HarnessError("producing test events failed: \(failed.error!)")
        }
    }

    static func start(bootstrap: String, rules: String, name: String) throws -> ChildProcess {
        try ChildProcess(
            arguments: [
                "run", "--set", "kafka.bootstrap.servers=\(bootstrap)", "--set", "kafka.group.id=shutdown",
                "--set", "kafka.consumer.session.timeout.ms=6000", "--set", "input.topics=events",
                "--set", "output.topic=alerts", "--set", "rules.path=\(rules)", "--set", "shutdown.timeout=5s",
                // Offsets are committed only at shutdown, so the restart shows what the shutdown committed.
                "--set", "commit.interval=1h",
            ],
            name: name)
    }

    @Test("SIGTERM mid-stream commits and loses or repeats no alert")
    func sigtermMidStream() throws {
        let broker = try DevBroker(brokers: 1, topics: ["events": 4, "alerts": 2])
        let folder = try ScratchFolder()
        try folder.write("rules/a.json", SignedBinarySequence.rule(id: "rule-a", process: "expand.exe"))
        let first = try Self.start(bootstrap: broker.bootstrap, rules: folder.path("rules"), name: "shutdown-first")
        try waitForLog(first, "partitions assigned", timeout: .seconds(60))

        let producing = Thread { try? Self.produceSequences(bootstrap: broker.bootstrap) }
        producing.start()
        try waitForLog(first, "alert produced", count: 200, timeout: .seconds(60))
        let signalled = ContinuousClock.now
        first.signal(SIGTERM)
        let status = try first.waitForExit(timeout: .seconds(30))
        let shutdownTime = ContinuousClock.now - signalled
        #expect(status == 0, "log:\n\(first.log().suffix(3000))")
        #expect(shutdownTime <= .seconds(5), "shutdown took \(shutdownTime)")
        let firstSummary = try #require(first.log().split(separator: "\n").last { $0.contains("processor stopped") })
        let firstConsumed = counter("consumed", in: firstSummary)
        #expect(firstConsumed > 0)
        #expect(first.log().contains("partitions revoked"), "the first run did not leave the group cleanly")
        while producing.isExecuting { Thread.sleep(forTimeInterval: 0.1) }

        // The shutdown committed offsets, so the restart does not start from the beginning.
        let probe = try KafkaConsumer(
            properties: [("bootstrap.servers", broker.bootstrap), ("group.id", "shutdown"), ("log_level", "3")],
            logger: quietLogger, rebalanceHandler: PlainGroupMember())
        let partitions = (0..<4).map { TopicPartition(topic: "events", partition: Int32($0)) }
        let committed = try probe.committed(partitions)
        #expect(committed.count == 4, "committed: \(committed)")
        #expect(committed.values.reduce(0) { $0 + $1.offset } > 0, "committed: \(committed)")

        let second = try Self.start(bootstrap: broker.bootstrap, rules: folder.path("rules"), name: "shutdown-second")
        let alerts = try readAlerts(bootstrap: broker.bootstrap, topic: "alerts", expected: Self.pairs,
                                    timeout: .seconds(90), settle: .seconds(3))
        second.signal(SIGTERM)
        #expect(try second.waitForExit(timeout: .seconds(30)) == 0)
        let assigned = try #require(second.log().split(separator: "\n").first { $0.contains("partitions assigned") })
        #expect(!assigned.contains("reset"), "the restart had no committed offset: \(assigned)")
        let secondSummary = try #require(second.log().split(separator: "\n").last { $0.contains("processor stopped") })
        // Everything the first run consumed past its held sequences is not read again.
        #expect(counter("consumed", in: secondSummary) < 2 * Self.pairs, "\(secondSummary)")

        let ids = alerts.compactMap { $0["kibana.alert.uuid"] as? String }
        #expect(ids.count == alerts.count)
        #expect(Set(ids).count == ids.count, "repeated alerts: \(ids.count - Set(ids).count)")
        let entities = Set(alerts.compactMap(\.entityID))
        let expected = Set((0..<Self.pairs).map { "entity-\($0)" })
        #expect(entities == expected, "missing: \(expected.subtracting(entities).sorted().prefix(10))")
        #expect(alerts.count == Self.pairs)
    }
}
