import Foundation
import Kafka
import Testing

/// Returns the entity ids the labelled cases expect alerts for, read from the expectation table.
func expectedAlertEntities() throws -> [String] {
    let table = try String(contentsOf: Paths.corpus.appendingPathComponent("labelled_cases.expected.tsv"), encoding: .utf8)
    let cases = try CorpusEvent.load("labelled_cases.ndjson")
    var entities: [String] = []
    for row in table.split(separator: "\n").dropFirst() {
        let columns = row.split(separator: "\t")
        guard columns.count >= 3, let count = Int(columns[2]), count > 0 else { continue }
        let range = columns[1].split(separator: "-").compactMap { Int($0) }
        let lines = cases.filter { $0.lineNumber >= range[0] && $0.lineNumber <= range[1] }
        if let entity = lines.compactMap(\.entityID).first { entities.append(entity) }
    }
    return entities.sorted()
}

/// Starts `eqlstream run` against `bootstrap` with the given group and topics.
func startService(bootstrap: String, group: String, inputTopics: [String], outputTopic: String, name: String,
                  commitInterval: String = "200ms") throws -> ChildProcess {
    try ChildProcess(
        arguments: [
            "run", "--set", "kafka.bootstrap.servers=\(bootstrap)", "--set", "kafka.group.id=\(group)",
            "--set", "kafka.consumer.session.timeout.ms=6000", "--set", "input.topics=\(inputTopics.joined(separator: ","))",
            "--set", "output.topic=\(outputTopic)", "--set", "rules.path=config/rules", "--set", "commit.interval=\(commitInterval)",
            "--set", "log.level=debug",
        ],
        name: name)
}

/// Waits until every input partition's committed checkpoint records alerts as produced through its end.
func waitForCheckpoint(bootstrap: String, group: String, topics: [String: Int], timeout: Duration) throws {
    let probe = try KafkaConsumer(
        properties: [("bootstrap.servers", bootstrap), ("group.id", group), ("log_level", "3")],
        logger: quietLogger, rebalanceHandler: PlainGroupMember())
    let partitions = topics.flatMap { topic, count in (0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) } }
    let deadline = ContinuousClock.now + timeout
    var lastSeen = ""
    while ContinuousClock.now < deadline {
        let committed = try probe.committed(partitions)
        var isComplete = true
        for partition in partitions {
            let high = try probe.watermarks(partition).high
            guard high > 0 else { continue }
            guard let checkpoint = committed[partition],
                  let emitted = checkpoint.metadata.split(separator: ";").first(where: { $0.hasPrefix("e=") }),
                  Int64(emitted.dropFirst(2)) == high
            else {
                isComplete = false
                lastSeen = "\(partition): \(committed[partition]?.metadata ?? "none") high=\(high)"
                break
            }
        }
        if isComplete { return }
        Thread.sleep(forTimeInterval: 0.2)
    }
    throw HarnessError("checkpoints did not reach the end of the input within \(timeout); last: \(lastSeen)")
}

@Suite("End to end through the dev broker", .serialized)
struct EndToEndTests {
    static let processTopic = "process-events"
    static let networkTopic = "network-events"
    static let outputTopic = "alerts"
    static let partitions = 4

    /// Produces the corpus and the labelled cases merged in time order over two topics, except that the first
    /// case's network event is produced before its start event, which is still within the allowed lateness.
    static func produceCorpus(bootstrap: String, isSplit: Bool) throws {
        let real = try CorpusEvent.load("real_ecs_events.ndjson")
        let cases = try CorpusEvent.load("labelled_cases.ndjson")
        var stream = CorpusEvent.timeOrdered(real + cases)
        let start = try #require(stream.firstIndex { $0.source == cases[0].source && $0.lineNumber == 1 })
        let network = try #require(stream.firstIndex { $0.source == cases[0].source && $0.lineNumber == 2 })
        #expect(start < network)
        let moved = stream.remove(at: network)
        stream.insert(moved, at: start)
        try produce(stream, bootstrap: bootstrap) { event in
            isSplit && event.category == "network" ? networkTopic : processTopic
        }
    }

    /// With one topic the late start reaches the matcher after its network event and pairs through the allowed
    /// lateness; with two topics the lane merges them in event time first.
    @Test("run publishes exactly the expected alerts", arguments: [false, true])
    func publishesExpectedAlerts(isSplit: Bool) throws {
        let broker = try DevBroker(topics: [Self.processTopic: Self.partitions, Self.networkTopic: Self.partitions, Self.outputTopic: 2])
        try Self.produceCorpus(bootstrap: broker.bootstrap, isSplit: isSplit)
        let service = try startService(
            bootstrap: broker.bootstrap, group: "e2e", inputTopics: isSplit ? [Self.processTopic, Self.networkTopic] : [Self.processTopic],
            outputTopic: Self.outputTopic, name: "run")
        let expected = try expectedAlertEntities()
        let alerts = try readAlerts(bootstrap: broker.bootstrap, topic: Self.outputTopic, expected: expected.count,
                                    timeout: .seconds(60), settle: .seconds(5))
        #expect(alerts.count == expected.count, "service log:\n\(service.log().suffix(3000))")
        #expect(alerts.compactMap(\.entityID).sorted() == expected)
        #expect(Set(alerts.compactMap { $0["kibana.alert.uuid"] as? String }).count == alerts.count)
        service.signal(SIGTERM)
        #expect(try service.waitForExit(timeout: .seconds(30)) == 0)
    }

    @Test("restart after SIGKILL repeats no alert")
    func restartRepeatsNoAlert() throws {
        let topics = [Self.processTopic: Self.partitions, Self.networkTopic: Self.partitions]
        let broker = try DevBroker(topics: topics.merging([Self.outputTopic: 2]) { a, _ in a })
        let route: (CorpusEvent) -> String = { $0.category == "network" ? Self.networkTopic : Self.processTopic }
        // First only the labelled cases, so the sequences' events are still held when the service dies and the
        // restart must replay them.
        try produce(CorpusEvent.timeOrdered(try CorpusEvent.load("labelled_cases.ndjson")), bootstrap: broker.bootstrap,
                    topicFor: route)
        let expected = try expectedAlertEntities()
        let first = try startService(
            bootstrap: broker.bootstrap, group: "restart", inputTopics: [Self.processTopic, Self.networkTopic],
            outputTopic: Self.outputTopic, name: "first")
        let before = try readAlerts(bootstrap: broker.bootstrap, topic: Self.outputTopic, expected: expected.count,
                                    timeout: .seconds(60), settle: .milliseconds(500))
        #expect(before.count == expected.count, "first run log:\n\(first.log().suffix(3000))")
        try waitForCheckpoint(bootstrap: broker.bootstrap, group: "restart", topics: topics, timeout: .seconds(30))
        first.signal(SIGKILL)
        _ = try first.waitForExit(timeout: .seconds(10))

        let second = try startService(
            bootstrap: broker.bootstrap, group: "restart", inputTopics: [Self.processTopic, Self.networkTopic],
            outputTopic: Self.outputTopic, name: "second")
        let deadline = ContinuousClock.now + .seconds(60)
        while !second.log().contains("partitions assigned") && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(second.log().contains("partitions assigned"), "second run log:\n\(second.log().suffix(3000))")
        // Then the rest of the stream, which completes no further sequence.
        try produce(CorpusEvent.timeOrdered(try CorpusEvent.load("real_ecs_events.ndjson")), bootstrap: broker.bootstrap,
                    topicFor: route)
        try waitForCheckpoint(bootstrap: broker.bootstrap, group: "restart", topics: topics, timeout: .seconds(30))
        let after = try readAlerts(bootstrap: broker.bootstrap, topic: Self.outputTopic, expected: expected.count + 1,
                                   timeout: .seconds(8), settle: .zero)
        #expect(after.count == expected.count, "second run log:\n\(second.log().suffix(3000))")
        #expect(Set(after.compactMap { $0["kibana.alert.uuid"] as? String }).count == after.count)
        #expect(after.compactMap(\.entityID).sorted() == expected)
        second.signal(SIGTERM)
        #expect(try second.waitForExit(timeout: .seconds(30)) == 0)
        // The restart replayed held events, rebuilt the sequences and recognised their alerts as already produced.
        let counters = try #require(second.log().split(separator: "\n").last { $0.contains("processor stopped") })
        #expect(counter("suppressed", in: counters) >= 1, "second run log:\n\(second.log().suffix(3000))")
        #expect(counter("consumed", in: counters) > 286, "second run log:\n\(second.log().suffix(3000))")
        #expect(counter("alerts", in: counters) == 0, "second run log:\n\(second.log().suffix(3000))")
    }
}

extension EndToEndTests {
    /// The first owner dies after its alerts are acknowledged but before any checkpoint is committed, so the
    /// restart replays from the beginning and must find the alerts on the alerts topic instead.
    @Test("restart before the first commit repeats no alert")
    func restartBeforeFirstCommit() throws {
        let topics = [Self.processTopic: Self.partitions]
        let broker = try DevBroker(topics: topics.merging([Self.outputTopic: 2]) { a, _ in a })
        try produce(CorpusEvent.timeOrdered(try CorpusEvent.load("labelled_cases.ndjson")), bootstrap: broker.bootstrap) { _ in
            Self.processTopic
        }
        let expected = try expectedAlertEntities()
        let first = try startService(
            bootstrap: broker.bootstrap, group: "early", inputTopics: [Self.processTopic], outputTopic: Self.outputTopic,
            name: "early-first", commitInterval: "1h")
        let before = try readAlerts(bootstrap: broker.bootstrap, topic: Self.outputTopic, expected: expected.count,
                                    timeout: .seconds(60), settle: .milliseconds(300))
        #expect(before.count == expected.count, "first run log:\n\(first.log().suffix(3000))")
        first.signal(SIGKILL)
        _ = try first.waitForExit(timeout: .seconds(10))
        #expect(!first.log().contains("offsets committed"), "the first run must not have committed")

        let second = try startService(
            bootstrap: broker.bootstrap, group: "early", inputTopics: [Self.processTopic], outputTopic: Self.outputTopic,
            name: "early-second")
        let deadline = ContinuousClock.now + .seconds(60)
        while !second.log().contains("read alerts produced") && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
        Thread.sleep(forTimeInterval: 3)
        second.signal(SIGTERM)
        #expect(try second.waitForExit(timeout: .seconds(30)) == 0)
        let after = try readAlerts(bootstrap: broker.bootstrap, topic: Self.outputTopic, expected: expected.count + 1,
                                   timeout: .seconds(8), settle: .zero)
        #expect(after.count == expected.count, "second run log:\n\(second.log().suffix(3000))")
        let counters = try #require(second.log().split(separator: "\n").last { $0.contains("processor stopped") })
        #expect(counter("suppressed", in: counters) == expected.count, "second run log:\n\(second.log().suffix(3000))")
    }
}

/// Reads `name=N` from a logged counters summary; -1 when it is absent.
func counter(_ name: String, in line: Substring) -> Int {
    guard let range = line.range(of: " \(name)=") ?? line.range(of: "\"\(name)=") else { return -1 }
    let digits = line[range.upperBound...].prefix { $0.isNumber }
    return Int(digits) ?? -1
}
