import Events

/// Where an event sits in the input log.
public struct EventCoordinates: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)/\(partition)@\(offset)" }
}

/// An event kept by the matcher because it matched a stage: its raw JSON for the alert and its place in the log.
public final class StoredEvent: @unchecked Sendable {
    public let coordinates: EventCoordinates
    public let time: EventTime
    /// Position in the order events reached the matcher; breaks ties between equal timestamps.
    public let arrival: Int64
    /// The greatest event time the partition had seen before this event, or `nil` for its first event.
    /// A restart that resumes at this event restores its watermark from this value.
    public let maxTimeBefore: EventTime?
    public let raw: [UInt8]
    public let decoded: DecodedEvent
    /// Whether the event was dated further ahead of the wall clock than the allowed skew when it arrived. Such an
    /// event can stay held until the wall clock reaches its time, so it does not hold back the checkpoint.
    public let isFutureDated: Bool

    init(coordinates: EventCoordinates, time: EventTime, arrival: Int64, maxTimeBefore: EventTime?, raw: [UInt8],
         decoded: DecodedEvent, isFutureDated: Bool = false) {
        self.isFutureDated = isFutureDated
        self.coordinates = coordinates
        self.time = time
        self.arrival = arrival
        self.maxTimeBefore = maxTimeBefore
        self.raw = raw
        self.decoded = decoded
    }

    /// Orders events as sequences require: by event time, then by arrival.
    func isBefore(_ other: StoredEvent) -> Bool {
        time != other.time ? time < other.time : arrival < other.arrival
    }
}

/// A completed sequence (or a single matching event for an event query).
public struct SequenceMatch: Sendable {
    /// Index of the rule in the matcher's rule list.
    public var ruleIndex: Int
    /// The join key values the events share.
    public var key: [EQLValueKey]
    /// The matched events in stage order.
    public var events: [StoredEvent]
}
