import Detection
import EQL
import Foundation
import Pipeline

enum Fixtures {
    /// The wall clock in nanoseconds, as the service passes it; the fixtures' events lie in the past.
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func ruleSet() throws -> RuleSet {
        try RuleSet(path: packageRoot.appendingPathComponent("config/rules").path, defaultWindow: .seconds(540))
    }

    static func lane(restored: [String: (offset: Int64, checkpoint: Checkpoint?)] = [:], topics: Set<String> = []) throws -> Lane {
        let rules = try ruleSet()
        return Lane(partition: 0, rules: rules.rules, decoder: rules.decoder,
                    settings: MatcherSettings(allowedLateness: .seconds(240)), topics: topics, restored: restored)
    }

    static func start(_ entity: String, at time: String) -> String {
        #"{"@timestamp":"\#(time)","event":{"category":["process"],"type":["start"]},"process":{"name":"expand.exe","entity_id":"\#(entity)"}}"#
    }

    static func network(_ entity: String, at time: String, to address: String = "40.77.226.250") -> String {
        #"{"@timestamp":"\#(time)","event":{"category":["network"]},"destination":{"ip":"\#(address)"},"process":{"name":"expand.exe","entity_id":"\#(entity)"}}"#
    }

    static func other(at time: String) -> String {
        #"{"@timestamp":"\#(time)","event":{"category":["file"]},"process":{"name":"notepad.exe","entity_id":"other"}}"#
    }
}

extension Lane {
    /// Feeds one JSON message to the lane at once.
    func feed(_ json: String, topic: String = "events", offset: Int64) -> LaneOutcome {
        Array(json.utf8).withUnsafeBytes { handle(topic: topic, offset: offset, payload: $0, detectionTime: Fixtures.now) }
    }

    /// Feeds one JSON message through the topic merge.
    func receive(_ json: String, topic: String, offset: Int64, now: ContinuousClock.Instant)
        -> [(topic: String, offset: Int64, outcome: LaneOutcome)]
    {
        Array(json.utf8).withUnsafeBytes {
            receive(topic: topic, offset: offset, payload: $0, detectionTime: Fixtures.now, now: now)
        }
    }
}

extension LaneOutcome {
    var alerts: [AlertRecord] {
        if case .matched(let alerts, _) = self { return alerts }
        return []
    }

    var suppressedCount: Int {
        if case .matched(_, let suppressed) = self { return suppressed }
        return 0
    }
}
