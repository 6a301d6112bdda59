import CRdKafka

extension KafkaConsumer {
    /// Returns the low and high watermark offsets librdkafka last received for a partition, without asking a
    /// broker, or `nil` while it has none (before the first fetch response for the partition).
    ///
    /// Cheap enough to call for every assigned partition several times a second: it reads librdkafka's cache.
    public func cachedWatermarks(_ partition: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return (low, high)
    }
}
