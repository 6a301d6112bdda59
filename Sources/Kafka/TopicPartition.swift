import CRdKafka
import Glibc

/// A topic and partition.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible, Comparable {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A committed position: the next offset to read and the checkpoint text stored with it.
public struct CommittedOffset: Sendable, Equatable {
    public var offset: Int64
    public var metadata: String

    public init(offset: Int64, metadata: String) {
        self.offset = offset
        self.metadata = metadata
    }
}

/// Owns an `rd_kafka_topic_partition_list_t` for the length of one call.
struct PartitionList {
    let handle: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int) {
        handle = rd_kafka_topic_partition_list_new(Int32(capacity))
    }

    init(copying list: UnsafePointer<rd_kafka_topic_partition_list_t>) {
        handle = rd_kafka_topic_partition_list_copy(list)
    }

    func destroy() { rd_kafka_topic_partition_list_destroy(handle) }

    @discardableResult
    func add(_ partition: TopicPartition, offset: Int64? = nil, metadata: String? = nil)
        -> UnsafeMutablePointer<rd_kafka_topic_partition_t>
    {
        let element = rd_kafka_topic_partition_list_add(handle, partition.topic, partition.partition)!
        if let offset { element.pointee.offset = offset }
        if let metadata {
            let bytes = Array(metadata.utf8)
            let storage = malloc(bytes.count)!
            bytes.withUnsafeBytes { storage.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            // librdkafka frees `metadata` when the list is destroyed.
            element.pointee.metadata = storage
            element.pointee.metadata_size = bytes.count
        }
        return element
    }

    var elements: [rd_kafka_topic_partition_t] {
        (0..<Int(handle.pointee.cnt)).map { handle.pointee.elems[$0] }
    }

    static func partitions(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
        (0..<Int(list.pointee.cnt)).map {
            let element = list.pointee.elems[$0]
            return TopicPartition(topic: String(cString: element.topic), partition: element.partition)
        }
    }
}

extension rd_kafka_topic_partition_t {
    var metadataText: String {
        guard let metadata, metadata_size > 0 else { return "" }
        let bytes = UnsafeRawBufferPointer(start: metadata, count: metadata_size)
        return String(decoding: bytes, as: UTF8.self)
    }
}
