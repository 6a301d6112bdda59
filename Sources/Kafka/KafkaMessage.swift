/// A consumed message, valid only inside the callback that receives it.
public struct KafkaMessage {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: UnsafeRawBufferPointer?
    public var payload: UnsafeRawBufferPointer

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}

/// Receives group membership changes from inside ``KafkaConsumer/poll(timeoutMilliseconds:maxMessages:handler:)``.
///
/// The calls run on the polling thread before librdkafka changes the assignment, so a handler can flush and
/// commit for revoked partitions before another member takes them.
public protocol KafkaRebalanceHandler: AnyObject {
    /// Called with the new partitions and their committed positions (missing where the group has none).
    /// Returns the offset to start each partition at, or leaves it out to use the committed one or
    /// `auto.offset.reset`.
    func partitionsAssigned(_ partitions: [TopicPartition], committed: [TopicPartition: CommittedOffset])
        -> [TopicPartition: Int64]
    /// Called before partitions are taken away. `isLost` is true when the group already gave them to another
    /// member, so the handler must not commit for them.
    func partitionsRevoked(_ partitions: [TopicPartition], isLost: Bool)
    /// Called for errors the consumer reports instead of a message.
    func consumerError(_ error: KafkaError, partition: TopicPartition?)
    /// Called with the result of each offset commit: the offsets the broker stored, and the partitions it did not
    /// store with the error.
    func offsetsCommitted(_ stored: [TopicPartition: CommittedOffset], failed: [TopicPartition: KafkaError])
}

extension KafkaRebalanceHandler {
    public func offsetsCommitted(_ stored: [TopicPartition: CommittedOffset], failed: [TopicPartition: KafkaError]) {}
}
