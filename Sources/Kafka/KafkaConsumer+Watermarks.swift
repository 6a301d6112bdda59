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

extension KafkaConsumer {
    /// Asks the leader of `partition` for its watermarks, waiting at most `timeoutMilliseconds`.
    ///
    /// Besides returning the watermarks, the request wakes the leader's broker thread. librdkafka 2.0.2 stops
    /// fetching when the prefetch queue passes `queued.min.messages` or `queued.max.messages.kbytes`, and checks
    /// again only when that thread wakes, which can be a second later. A consumer that has drained its queue calls
    /// this to resume fetching at once.
    @discardableResult
    public func queryWatermarks(_ partition: TopicPartition, timeoutMilliseconds: Int32) -> (low: Int64, high: Int64)? {
        var low: Int64 = 0
        var high: Int64 = 0
        let error = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high,
                                                     timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return (low, high)
    }
}
