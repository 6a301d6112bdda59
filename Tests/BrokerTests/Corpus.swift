import Foundation
import Kafka

/// A corpus event with the fields the tests route and key by.
struct CorpusEvent {
    var line: String
    var time: String
    var entityID: String?
    var category: String?
    var source: String
    var lineNumber: Int

    /// Loads an NDJSON corpus file.
    static func load(_ name: String) throws -> [CorpusEvent] {
        let url = Paths.corpus.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map { index, line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let process = object["process"] as? [String: Any]
            let event = object["event"] as? [String: Any]
            var category = event?["category"] as? String
            if let categories = event?["category"] as? [String] { category = categories.first }
            return CorpusEvent(
                line: String(line), time: object["@timestamp"] as? String ?? "",
                entityID: process?["entity_id"] as? String, category: category, source: name, lineNumber: index + 1)
        }
    }

    /// Sorts events as a live stream carries them: by event time compared as instants.
    static func timeOrdered(_ events: [CorpusEvent]) -> [CorpusEvent] {
        events.enumerated().sorted { lhs, rhs in
            let a = instant(lhs.element.time), b = instant(rhs.element.time)
            return a != b ? a < b : lhs.offset < rhs.offset
        }.map(\.element)
    }

    /// Parses an ISO 8601 timestamp with any number of fractional digits into (seconds, nanoseconds).
    private static func instant(_ text: String) -> (Int, Int) {
        let parts = text.dropLast().split(separator: ".")
        let formatter = ISO8601DateFormatter()
        let seconds = Int(formatter.date(from: String(parts[0]) + "Z")?.timeIntervalSince1970 ?? 0)
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        fraction = String((fraction + "000000000").prefix(9))
        return (seconds, Int(fraction) ?? 0)
    }
}

/// Produces events keyed by process.entity_id, as every producer of an input topic must.
func produce(_ events: [CorpusEvent], bootstrap: String, topicFor: (CorpusEvent) -> String) throws {
    let producer = try KafkaProducer(properties: [("bootstrap.servers", bootstrap)], logger: quietLogger, idempotent: true)
    for (index, event) in events.enumerated() {
        try producer.produce(topic: topicFor(event), key: event.entityID.map { Array($0.utf8) }, value: Array(event.line.utf8), token: index)
    }
    let reports = try producer.flush(timeoutMilliseconds: 30_000)
    if let failed = reports.first(where: { $0.error != nil }) {
        throw HarnessError("producing test events failed: \(failed.error!)")
    }
}

/// Reads every alert on the output topic through a fresh consumer group, for `duration` after the last new one.
func readAlerts(bootstrap: String, topic: String, expected: Int, timeout: Duration, settle: Duration) throws -> [[String: Any]] {
    let consumer = try KafkaConsumer(
        properties: [("bootstrap.servers", bootstrap), ("group.id", "test-reader-\(UUID().uuidString)"),
                     ("session.timeout.ms", "6000"), ("log_level", "3")],
        logger: quietLogger, rebalanceHandler: PlainGroupMember())
    defer { consumer.close() }
    try consumer.subscribe([topic])
    var alerts: [[String: Any]] = []
    let deadline = ContinuousClock.now + timeout
    var settleUntil: ContinuousClock.Instant?
    while ContinuousClock.now < deadline {
        consumer.poll(timeoutMilliseconds: 200, maxMessages: 500) { message in
            if let object = try? JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any] {
                alerts.append(object)
            }
        }
        if alerts.count >= expected {
            if settleUntil == nil { settleUntil = ContinuousClock.now + settle }
            if ContinuousClock.now >= settleUntil! { break }
        }
    }
    return alerts
}

extension Dictionary where Key == String, Value == Any {
    /// The alert's process.entity_id, nested or dotted.
    var entityID: String? {
        (self["process"] as? [String: Any])?["entity_id"] as? String ?? self["process.entity_id"] as? String
    }
}
