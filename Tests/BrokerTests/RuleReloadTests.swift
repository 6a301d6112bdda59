import Foundation
import Kafka
import Testing

/// A two-stage signed-binary sequence: a process start, then a connection to a public address by that process.
enum SignedBinarySequence {
    /// Returns a rule that detects the sequence for processes named `process`.
    static func rule(id: String, process: String) -> String {
        let query = "sequence by process.entity_id with maxspan=1m "
            + "[process where process.name : \\\"\(process)\\\" and event.type == \\\"start\\\"] "
            + "[network where process.name : \\\"\(process)\\\" and not cidrmatch(destination.ip, \\\"10.0.0.0/8\\\")]"
        return """
            {"rule_id": "\(id)", "name": "Network connection via \(process)", "type": "eql", "language": "eql",
             "severity": "low", "risk_score": 21, "interval": "5m", "from": "now-9m", "query": "\(query)"}
            """
    }

    /// Returns the start event of `entity` at `time`.
    static func start(entity: String, process: String, time: Date) -> String {
        """
        {"@timestamp":"\(format(time))","event":{"category":["process"],"type":["start"]},\
        "process":{"entity_id":"\(entity)","name":"\(process)","pid":4242}}
        """
    }

    /// Returns the connection event of `entity` at `time`.
    static func connection(entity: String, process: String, time: Date) -> String {
        """
        {"@timestamp":"\(format(time))","event":{"category":["network"],"type":["connection"]},\
        "process":{"entity_id":"\(entity)","name":"\(process)","pid":4242},"destination":{"ip":"198.51.100.7","port":443}}
        """
    }

    static func format(_ time: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: time)
    }
}

/// Produces `events` (entity id, JSON) keyed by entity id to `topic`.
func produceKeyed(_ events: [(entity: String, json: String)], topic: String, bootstrap: String) throws {
    let producer = try KafkaProducer(properties: [("bootstrap.servers", bootstrap)], logger: quietLogger)
    for (index, event) in events.enumerated() {
        try producer.produce(topic: topic, key: Array(event.entity.utf8), value: Array(event.json.utf8), token: index)
    }
    let reports = try producer.flush(timeoutMilliseconds: 30_000)
    if let failed = reports.first(where: { $0.error != nil }) {
        throw HarnessError("producing test events failed: \(failed.error!)")
    }
}

/// Waits until the child's log has `count` lines containing `text`.
func waitForLog(_ child: ChildProcess, _ text: String, count: Int = 1, timeout: Duration) throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if child.log().components(separatedBy: "\n").filter({ $0.contains(text) }).count >= count { return }
        Thread.sleep(forTimeInterval: 0.1)
    }
    throw HarnessError("no '\(text)' in the log within \(timeout); log:\n\(child.log().suffix(3000))")
}

extension Dictionary where Key == String, Value == Any {
    /// The alert's rule id, nested or dotted.
    var ruleID: String? {
        self["kibana.alert.rule.rule_id"] as? String
            ?? (((self["kibana"] as? [String: Any])?["alert"] as? [String: Any])?["rule"] as? [String: Any])?["rule_id"] as? String
    }
}

@Suite("Rule reload on SIGHUP through the dev broker", .serialized)
struct RuleReloadTests {
    @Test("SIGHUP applies new rules and keeps old ones on error")
    func reloadOnHangup() throws {
        let broker = try DevBroker(brokers: 1, topics: ["events": 2, "alerts": 1])
        let folder = try ScratchFolder()
        try folder.write("rules/a.json", SignedBinarySequence.rule(id: "rule-a", process: "expand.exe"))
        let service = try ChildProcess(
            arguments: [
                "run", "--set", "kafka.bootstrap.servers=\(broker.bootstrap)", "--set", "kafka.group.id=reload",
                "--set", "kafka.consumer.session.timeout.ms=6000", "--set", "input.topics=events",
                "--set", "output.topic=alerts", "--set", "rules.path=\(folder.path("rules"))",
                "--set", "commit.interval=200ms",
            ],
            name: "reload")
        try waitForLog(service, "partitions assigned", timeout: .seconds(60))
        typealias Events = SignedBinarySequence
        var time = Date()
        func pair(_ entity: String, _ process: String) -> [(entity: String, json: String)] {
            time += 1
            let start = (entity, Events.start(entity: entity, process: process, time: time))
            time += 1
            return [start, (entity, Events.connection(entity: entity, process: process, time: time))]
        }

        // Only rule-a runs: expand.exe alerts, certutil.exe does not. e3 starts a sequence that completes after
        // the reload.
        var events = pair("e1", "expand.exe") + pair("e2", "certutil.exe")
        time += 1
        events.append(("e3", Events.start(entity: "e3", process: "expand.exe", time: time)))
        try produceKeyed(events, topic: "events", bootstrap: broker.bootstrap)
        var alerts = try readAlerts(bootstrap: broker.bootstrap, topic: "alerts", expected: 1, timeout: .seconds(30),
                                    settle: .seconds(1))
        #expect(alerts.compactMap(\.entityID) == ["e1"], "log:\n\(service.log().suffix(3000))")

        // A second rule for certutil.exe; rule-a is unchanged and keeps e3's pending start.
        try folder.write("rules/b.json", SignedBinarySequence.rule(id: "rule-b", process: "certutil.exe"))
        service.signal(SIGHUP)
        try waitForLog(service, "rules reloaded", timeout: .seconds(30))
        let reloaded = try #require(service.log().split(separator: "\n").first { $0.contains("rules reloaded") })
        #expect(reloaded.contains("added=rule-b"), "\(reloaded)")
        #expect(reloaded.contains("unchanged=1"), "\(reloaded)")
        time += 1
        events = [("e3", Events.connection(entity: "e3", process: "expand.exe", time: time))]
        events += pair("e4", "certutil.exe")
        try produceKeyed(events, topic: "events", bootstrap: broker.bootstrap)
        alerts = try readAlerts(bootstrap: broker.bootstrap, topic: "alerts", expected: 3, timeout: .seconds(30),
                                settle: .seconds(1))
        var found = alerts.map { "\($0.ruleID ?? "?")/\($0.entityID ?? "?")" }.sorted()
        #expect(found == ["rule-a/e1", "rule-a/e3", "rule-b/e4"], "log:\n\(service.log().suffix(3000))")

        // A broken rule: the reload is rejected with its position, and both running rules keep alerting.
        try folder.write("rules/c.json", #"{"rule_id": "rule-c", "name": "c", "type": "eql", "query": "process wher true"}"#)
        service.signal(SIGHUP)
        try waitForLog(service, "rules reload failed", timeout: .seconds(30))
        let failure = try #require(service.log().split(separator: "\n").first { $0.contains("rules reload failed") })
        #expect(failure.contains("c.json"), "\(failure)")
        #expect(failure.contains("query_line=1"), "\(failure)")
        #expect(failure.contains("query_column=9"), "\(failure)")
        #expect(failure.contains("expected `where`"), "\(failure)")
        try produceKeyed(pair("e5", "expand.exe") + pair("e6", "certutil.exe"), topic: "events", bootstrap: broker.bootstrap)
        alerts = try readAlerts(bootstrap: broker.bootstrap, topic: "alerts", expected: 5, timeout: .seconds(30),
                                settle: .seconds(1))
        found = alerts.map { "\($0.ruleID ?? "?")/\($0.entityID ?? "?")" }.sorted()
        #expect(found == ["rule-a/e1", "rule-a/e3", "rule-a/e5", "rule-b/e4", "rule-b/e6"],
                "log:\n\(service.log().suffix(3000))")

        service.signal(SIGTERM)
        #expect(try service.waitForExit(timeout: .seconds(30)) == 0)
        let summary = try #require(service.log().split(separator: "\n").last { $0.contains("processor stopped") })
        #expect(counter("rule_reloads", in: summary) == 1, "\(summary)")
        #expect(counter("rule_reload_failures", in: summary) == 1, "\(summary)")
    }
}
