import Detection
import EQL
import Events

/// An alert produced for a sequence, with what a checkpoint needs until the broker acknowledges it.
public struct AlertRecord: Sendable {
    public var alert: Alert
    /// The next offset of each topic before the event that completed the sequence was read.
    public var positionsBefore: [String: Int64]
    /// The lane's greatest event time before that event.
    public var maxTimeBefore: EventTime?
}

/// The result of handing one message to a lane.
public enum LaneOutcome {
    /// The message is not a usable event; `payload` is a copy of it, for the dead-letter topic.
    case rejected(DecodeError, payload: [UInt8])
    case late(time: EventTime, watermark: EventTime)
    /// `suppressed` counts alerts that the restored checkpoint records as produced before a restart.
    case matched(alerts: [AlertRecord], suppressed: Int)
    /// The message was at or below an offset this lane has already handled, so it was skipped.
    case duplicate
}

/// The work for one partition number across all input topics: decoding, matching, and checkpoint bookkeeping.
///
/// Partition N of every co-partitioned input topic feeds the same lane, because a sequence's events share a key and
/// so a partition number. Not thread-safe: one thread owns a lane.
public final class Lane {
    public let partition: Int32
    public internal(set) var matcher: SequenceMatcher
    var decoder: EventDecoder
    /// Next offset to read per topic, once known.
    public var nextOffset: [String: Int64] { nextOffsets.dictionary }
    private var nextOffsets = TopicOffsets()
    /// Per topic, alerts whose events all lie below this offset were produced before a restart.
    private var emittedBelow: [String: Int64] = [:]
    /// Alerts produced and not yet acknowledged, by delivery token.
    public private(set) var unacknowledged: [Int: AlertRecord] = [:]
    public private(set) var lastActivity = ContinuousClock.now
    /// Ids of alerts found on the alerts topic when the lane was assigned; a replay does not produce them again.
    public var producedAlertIDs: Set<String> = []
    /// How many of the matcher's future events the owner has already counted.
    public var reportedFutureEvents = 0
    /// How many of the matcher's evicted events the owner has already counted.
    public var reportedEvictedEvents = 0
    /// Next offset expected from the consumer per topic; messages below it were already received.
    private var receivedOffset = TopicOffsets()

    /// Returns the next offset the lane expects from `topic`, or `nil` before its first message.
    public func nextExpectedOffset(of topic: String) -> Int64? { receivedOffset[topic] }
    private var merger: TopicMerger
    /// Whether messages below the next expected offset are skipped as already handled. A time-sorted replay turns
    /// this off because it feeds offsets out of order on purpose.
    public var skipsHandledOffsets = true

    public init(partition: Int32, rules: [CompiledRule], decoder: EventDecoder, settings: MatcherSettings,
                topics: Set<String> = [], mergeWait: Duration = .milliseconds(500), mergeCapacity: Int = 20_000,
                restored: [String: (offset: Int64, checkpoint: Checkpoint?)] = [:]) {
        self.partition = partition
        self.decoder = decoder
        self.merger = TopicMerger(topics: topics, maxWait: mergeWait, capacity: mergeCapacity)
        let times = restored.values.compactMap { $0.checkpoint?.maxTime }
        self.matcher = SequenceMatcher(rules: rules, settings: settings, restoredMaxTime: times.min())
        for (topic, position) in restored {
            restore(topic: topic, offset: position.offset, checkpoint: position.checkpoint)
        }
    }

    /// Adds an input topic whose partition feeds this lane, so the merge waits for it.
    public func addTopic(_ topic: String) {
        merger.topics.insert(topic)
    }

    /// Sets where `topic` resumes and which alerts its checkpoint records as already produced.
    public func restore(topic: String, offset: Int64, checkpoint: Checkpoint?) {
        nextOffsets[topic] = offset
        receivedOffset[topic] = offset
        merger.topics.insert(topic)
        emittedBelow[topic] = max(checkpoint?.emittedBelow ?? offset, offset)
    }

    /// Decodes and matches one message at once, in the order given, returning the alerts it completes.
    public func handle(topic: String, offset: Int64, payload: UnsafeRawBufferPointer,
                       decoded alreadyDecoded: Result<DecodedEvent, DecodeError>? = nil, detectionTime: Int64) -> LaneOutcome {
        if skipsHandledOffsets, let expected = receivedOffset[topic], offset < expected {
            return .duplicate
        }
        receivedOffset[topic] = max(receivedOffset[topic] ?? 0, offset + 1)
        let decoded = alreadyDecoded ?? Result { () throws(DecodeError) in try decoder.decode(payload) }
        return process(topic: topic, offset: offset, payload: payload, decoded: decoded, detectionTime: detectionTime)
    }

    /// Takes one consumed message. With one input topic it is matched at once; with several it is buffered and
    /// released in event-time order across the topics. Returns the outcomes of every message released.
    /// `decoded` is the message already decoded with this lane's decoder, or `nil` to decode it here.
    public func receive(topic: String, offset: Int64, payload: UnsafeRawBufferPointer,
                        decoded alreadyDecoded: Result<DecodedEvent, DecodeError>? = nil, detectionTime: Int64,
                        now: ContinuousClock.Instant = .now) -> [(topic: String, offset: Int64, outcome: LaneOutcome)] {
        var results: [(topic: String, offset: Int64, outcome: LaneOutcome)] = []
        receive(topic: topic, offset: offset, payload: payload, decoded: alreadyDecoded, detectionTime: detectionTime,
                now: now) { results.append(($0, $1, $2)) }
        return results
    }

    /// Takes one consumed message like ``receive(topic:offset:payload:decoded:detectionTime:now:)``, and passes the
    /// outcome of each message released to `released` instead of collecting them.
    public func receive(topic: String, offset: Int64, payload: UnsafeRawBufferPointer,
                        decoded alreadyDecoded: Result<DecodedEvent, DecodeError>? = nil, detectionTime: Int64,
                        now: ContinuousClock.Instant = .now, released: (String, Int64, LaneOutcome) -> Void) {
        if let expected = receivedOffset[topic], offset < expected {
            released(topic, offset, .duplicate)
            return
        }
        receivedOffset[topic] = offset + 1
        lastActivity = now
        let decoded = alreadyDecoded ?? Result { () throws(DecodeError) in try decoder.decode(payload) }
        if merger.topics.count <= 1 && merger.count == 0 && (merger.topics.isEmpty || merger.topics.contains(topic)) {
            merger.topics.insert(topic)
            released(topic, offset, process(topic: topic, offset: offset, payload: payload, decoded: decoded, detectionTime: detectionTime))
            return
        }
        merger.add(BufferedMessage(topic: topic, offset: offset, raw: Array(payload), decoded: decoded))
        for result in release(detectionTime: detectionTime, now: now) {
            released(result.topic, result.offset, result.outcome)
        }
    }

    /// Messages waiting in the topic merge.
    public var bufferedCount: Int { merger.count }

    /// Records that the consumer reached the end of `topic`'s partition.
    public func markEnd(of topic: String) {
        merger.markEnd(of: topic)
    }

    /// Processes buffered messages whose turn has come.
    public func release(detectionTime: Int64, now: ContinuousClock.Instant = .now)
        -> [(topic: String, offset: Int64, outcome: LaneOutcome)]
    {
        var results: [(topic: String, offset: Int64, outcome: LaneOutcome)] = []
        while let message = merger.next(now: now) {
            let outcome = message.raw.withUnsafeBytes {
                process(topic: message.topic, offset: message.offset, payload: $0, decoded: message.decoded, detectionTime: detectionTime)
            }
            results.append((message.topic, message.offset, outcome))
        }
        return results
    }

    private func process(topic: String, offset: Int64, payload: UnsafeRawBufferPointer,
                         decoded: Result<DecodedEvent, DecodeError>, detectionTime: Int64) -> LaneOutcome {
        let maxTimeBefore = matcher.maxTime
        nextOffsets[topic] = max(nextOffsets[topic] ?? 0, offset + 1)

        var decoded = decoded
        if case .success(let value) = decoded, let relevance = value.relevance,
           relevance.testID != decoder.relevanceTest?.id
        {
            // Decoded for rules that a reload has since replaced, which may have dropped fields these rules read.
            decoded = Result { () throws(DecodeError) in try decoder.decode(payload) }
        }
        let event: DecodedEvent
        switch decoded {
        case .success(let value): event = value
        case .failure(let error): return .rejected(error, payload: Array(payload))
        }
        let coordinates = EventCoordinates(topic: topic, partition: partition, offset: offset)
        switch matcher.process(event, raw: payload, at: coordinates, wallClock: detectionTime) {
        case .late(let watermark):
            return .late(time: event.time, watermark: watermark)
        case .processed(let matches):
            guard !matches.isEmpty else { return .matched(alerts: [], suppressed: 0) }
            // The positions before this message: every topic's next offset, with this topic at this message.
            let positionsBefore = currentPositions(including: topic, at: offset)
            var records: [AlertRecord] = []
            var suppressed = 0
            for match in matches {
                if wasEmittedBeforeRestart(match) {
                    suppressed += 1
                    continue
                }
                let rule = matcher.rules[match.ruleIndex]
                let alert = AlertBuilder.build(match, rule: rule, detectionTime: detectionTime)
                if producedAlertIDs.remove(alert.id) != nil {
                    suppressed += 1
                    continue
                }
                records.append(AlertRecord(alert: alert, positionsBefore: positionsBefore, maxTimeBefore: maxTimeBefore))
            }
            return .matched(alerts: records, suppressed: suppressed)
        }
    }

    /// Records an alert handed to the producer under `token`.
    public func track(token: Int, record: AlertRecord) {
        unacknowledged[token] = record
    }

    /// Forgets an acknowledged alert; returns it when the token was this lane's.
    @discardableResult
    public func acknowledge(token: Int) -> AlertRecord? {
        unacknowledged.removeValue(forKey: token)
    }

    /// Returns the offset to commit and its checkpoint for each topic whose position is known.
    ///
    /// The offset is the lowest one still needed: by an event held for a pending sequence, by an alert not yet
    /// acknowledged, or else the next offset to read. Resuming there rebuilds the same state.
    public func checkpoints() -> [String: (offset: Int64, checkpoint: Checkpoint)] {
        let held = matcher.oldestHeldEvents()
        var result: [String: (offset: Int64, checkpoint: Checkpoint)] = [:]
        for (topic, next) in nextOffsets.entries {
            var resume = (offset: next, maxTime: matcher.maxTime)
            if let event = held[topic], event.coordinates.offset < resume.offset {
                resume = (event.coordinates.offset, event.maxTimeBefore)
            }
            var emitted = next
            for record in unacknowledged.values {
                let position = record.positionsBefore[topic] ?? next
                emitted = min(emitted, position)
                if position < resume.offset {
                    resume = (position, record.maxTimeBefore)
                }
            }
            emitted = max(emitted, emittedBelow[topic] ?? emitted)
            result[topic] = (resume.offset, Checkpoint(emittedBelow: emitted, maxTime: resume.maxTime))
        }
        return result
    }

    /// Expires state that no future event can use; `idleTimeout` also moves time forward for an idle partition.
    public func expire(idleTimeout: Duration, now: ContinuousClock.Instant = .now) {
        let idle = now - lastActivity
        var idleExtension: Int64 = 0
        if idle > idleTimeout {
            let (seconds, attoseconds) = (idle - idleTimeout).components
            idleExtension = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
        matcher.expire(idleExtension: idleExtension)
    }

    private func currentPositions(including topic: String, at offset: Int64) -> [String: Int64] {
        var positions = nextOffsets.dictionary
        positions[topic] = offset
        return positions
    }

    private func wasEmittedBeforeRestart(_ match: SequenceMatch) -> Bool {
        match.events.allSatisfy { event in
            guard let below = emittedBelow[event.coordinates.topic] else { return false }
            return event.coordinates.offset < below
        }
    }
}

/// Offsets per topic for one lane. A lane reads one topic or a few, so a list searched in order costs less than
/// hashing the topic name for every message.
struct TopicOffsets {
    private(set) var entries: [(topic: String, offset: Int64)] = []

    subscript(topic: String) -> Int64? {
        get {
            for entry in entries where entry.topic == topic { return entry.offset }
            return nil
        }
        set {
            if let index = entries.firstIndex(where: { $0.topic == topic }) {
                if let newValue { entries[index].offset = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((topic, newValue))
            }
        }
    }

    var dictionary: [String: Int64] {
        Dictionary(entries, uniquingKeysWith: { _, last in last })
    }
}
