import Events

/// A message held until its turn in event-time order across the input topics of one lane.
struct BufferedMessage {
    var topic: String
    var offset: Int64
    var raw: [UInt8]
    var decoded: Result<DecodedEvent, DecodeError>

    /// Messages that did not decode sort first, so they never hold up the others.
    var time: Int64 {
        (try? decoded.get().time) ?? .min
    }
}

/// Merges the partitions of several co-partitioned topics into one stream in event-time order.
///
/// Each topic's partition is in offset order, but the consumer may fetch one topic far ahead of another (after a
/// restart with a backlog, one topic can arrive whole before the other starts). The merger releases the message with
/// the earliest event time among the topics' heads. When a topic has nothing buffered it waits, unless that
/// partition is known to be at its end, up to `maxWait` or until `capacity` messages are buffered, as Kafka
/// Streams does with `max.task.idle.ms`.
struct TopicMerger {
    var topics: Set<String>
    let maxWait: Duration
    let capacity: Int
    private var queues: [String: [BufferedMessage]] = [:]
    private var heads: [String: Int] = [:]
    private var atEnd: Set<String> = []
    private var waitingSince: ContinuousClock.Instant?
    private(set) var count = 0

    init(topics: Set<String>, maxWait: Duration, capacity: Int) {
        self.topics = topics
        self.maxWait = maxWait
        self.capacity = capacity
    }

    mutating func add(_ message: BufferedMessage) {
        topics.insert(message.topic)
        atEnd.remove(message.topic)
        queues[message.topic, default: []].append(message)
        count += 1
    }

    /// Records that the consumer reached the end of `topic`'s partition, so an empty queue there holds nothing up.
    mutating func markEnd(of topic: String) {
        atEnd.insert(topic)
    }

    /// Returns the next message to process, or `nil` while the merge must wait.
    mutating func next(now: ContinuousClock.Instant) -> BufferedMessage? {
        guard count > 0 else { return nil }
        var earliest: (topic: String, time: Int64)?
        var isBlocked = false
        for topic in topics {
            let head = heads[topic] ?? 0
            guard let queue = queues[topic], head < queue.count else {
                if !atEnd.contains(topic) { isBlocked = true }
                continue
            }
            let time = queue[head].time
            if earliest == nil || time < earliest!.time || (time == earliest!.time && topic < earliest!.topic) {
                earliest = (topic, time)
            }
        }
        guard let chosen = earliest else { return nil }
        if isBlocked {
            let since = waitingSince ?? now
            waitingSince = since
            if now - since < maxWait && count < capacity { return nil }
        } else {
            waitingSince = nil
        }
        return pop(chosen.topic)
    }

    private mutating func pop(_ topic: String) -> BufferedMessage {
        let head = heads[topic] ?? 0
        let message = queues[topic]![head]
        count -= 1
        if head + 1 == queues[topic]!.count {
            queues[topic]!.removeAll(keepingCapacity: true)
            heads[topic] = 0
        } else {
            heads[topic] = head + 1
            if head + 1 >= 1024 {
                queues[topic]!.removeFirst(head + 1)
                heads[topic] = 0
            }
        }
        return message
    }
}
