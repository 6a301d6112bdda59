import Foundation
import Kafka
import Telemetry

/// Finds the alerts already on the alerts topic, so that a new owner of a partition does not produce them again.
///
/// A checkpoint knows every alert acknowledged before its commit. An owner that died after an alert was
/// acknowledged but before the next commit leaves that alert on the topic and unknown to the checkpoint; the
/// replay would build it again. Alert ids are deterministic, so reading the alerts written since the last commit
/// and skipping their ids closes that gap.
enum ProducedAlerts {
    /// How far before the checkpoint's commit time the scan starts, to allow for clock differences between members.
    static let clockMargin: Int64 = 300_000

    /// Returns the ids of the alerts written to `topic` since `sinceMilliseconds`, reading up to the end offsets
    /// at the time of the call.
    static func ids(topic: String, sinceMilliseconds: Int64, properties: [(String, String)], logger: Logger,
                    timeout: Duration = .seconds(15)) throws -> Set<String> {
        // One deadline covers the metadata and offset look-ups too, so a broker outage cannot hold the member in
        // its assignment callback for longer than `timeout`.
        let deadline = ContinuousClock.now + timeout
        func remaining() throws -> Int32 {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw KafkaError("reading produced alerts from \(topic) timed out after \(timeout)") }
            let (seconds, attoseconds) = left.components
            return Int32(clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        }
        var settings = properties.filter { $0.0 != "group.id" && $0.0 != "group.instance.id" }
        settings.append(("group.id", "eqlstream-produced-alerts-\(UUID().uuidString)"))
        let consumer = try KafkaConsumer(properties: settings, logger: logger, rebalanceHandler: NoGroup.shared)
        let count = try consumer.partitionCounts([topic], timeoutMilliseconds: remaining())[topic] ?? 0
        let partitions = (0..<count).map { TopicPartition(topic: topic, partition: Int32($0)) }
        var ends: [TopicPartition: Int64] = [:]
        var starts: [TopicPartition: Int64] = [:]
        let byTime = try? consumer.offsets(
            atTime: sinceMilliseconds - clockMargin, for: partitions, timeoutMilliseconds: remaining())
        for partition in partitions {
            let (low, high) = try consumer.watermarks(partition, timeoutMilliseconds: remaining())
            guard high > low else { continue }
            // A broker that cannot look offsets up by time gives no answer; reading the whole partition is then
            // slower but still correct.
            var start = byTime?[partition] ?? low
            if start < low { start = low }
            guard start < high else { continue }
            starts[partition] = start
            ends[partition] = high
        }
        guard !starts.isEmpty else { return [] }
        try consumer.assign(starts)
        var ids: Set<String> = []
        var unfinished = Set(starts.keys)
        while !unfinished.isEmpty {
            _ = try remaining()
            consumer.poll(
                timeoutMilliseconds: 100, maxMessages: 10_000, endOfPartition: { unfinished.remove($0) }
            ) { message in
                if let id = alertID(in: message.payload) { ids.insert(id) }
                let partition = message.topicPartition
                if let end = ends[partition], message.offset + 1 >= end { unfinished.remove(partition) }
            }
        }
        return ids
    }

    /// Reads `kibana.alert.uuid` from an alert document.
    static func alertID(in payload: UnsafeRawBufferPointer) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return nil }
        return object["kibana.alert.uuid"] as? String
    }
}

/// Group callbacks for a consumer that assigns its partitions itself.
private final class NoGroup: KafkaRebalanceHandler, @unchecked Sendable {
    static let shared = NoGroup()
    func partitionsAssigned(_ partitions: [TopicPartition], committed: [TopicPartition: CommittedOffset]) -> [TopicPartition: Int64] { [:] }
    func partitionsRevoked(_ partitions: [TopicPartition], isLost: Bool) {}
    func consumerError(_ error: KafkaError, partition: TopicPartition?) {}
}
