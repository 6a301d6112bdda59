import CSimdJSON
import Dispatch
import EQL
import Synchronization

/// A test that a decoder runs on each event it decodes, on the decoding thread: whether any rule may use the event.
///
/// Decoding runs on several threads and matching on one, so deciding there that an event matches no stage of any
/// rule, and dropping its values there, takes that work off the matching thread.
public struct RelevanceTest: Sendable {
    /// Tells this test's results from another's, such as those of the rules before a reload.
    public let id: Int
    public let mayMatch: @Sendable (any FieldSource) -> Bool
    /// The filters' requirements, tested on the parser's tokens first; `nil` when some filter has none.
    let screen: EventScreen?

    private static let lastID = Atomic<Int>(0)

    /// `requirements` must hold one ``Requirement`` for each filter that `mayMatch` runs, so that an event that
    /// meets none of them is one that `mayMatch` rejects.
    public init(requirements: [Requirement], mayMatch: @escaping @Sendable (any FieldSource) -> Bool) {
        self.id = Self.lastID.add(1, ordering: .relaxed).newValue
        self.mayMatch = mayMatch
        self.screen = EventScreen(requirements: requirements)
    }
}

/// Decodes ECS events from JSON, reading only the fields registered in a ``FieldTable``.
///
/// A decoder is built once for a rule set and reused for every message; it keeps no per-message state.
public struct EventDecoder: Sendable {
    /// The field that carries event time, `@timestamp` unless a rule overrides it.
    public let timestampField: String
    /// Messages larger than this many bytes are rejected as ``DecodeFailureReason/oversized``.
    public let maxMessageBytes: Int

    /// Run on every decoded event when set; see ``DecodedEvent/relevance``.
    public var relevanceTest: RelevanceTest?

    private let trie: FieldTrie
    /// `nil` when the decoder uses only the Swift reader.
    private let fastFields: SimdJSONFields?
    private let slotCount: Int
    private let timestampSlot: Int

    /// Creates a decoder for the fields in `fields`, registering `timestampField` in the table as well.
    ///
    /// With `usesSimdJSON` (the default) messages are parsed with simdjson, and the project's own Swift reader
    /// takes over only for messages simdjson rejects, so that errors name their position. Without it, the Swift
    /// reader parses every message; tests compare the two.
    public init(fields: FieldTable, timestampField: String = "@timestamp", maxMessageBytes: Int = 1_048_576,
                usesSimdJSON: Bool = true) {
        self.timestampField = timestampField
        self.maxMessageBytes = maxMessageBytes
        self.timestampSlot = fields.slot(for: timestampField)
        self.slotCount = fields.count
        self.trie = FieldTrie(table: fields)
        self.fastFields = usesSimdJSON ? SimdJSONFields(names: fields.names) : nil
    }

    /// Decodes one message.
    ///
    /// - Throws: ``DecodeError`` naming the reason the message is not a usable event.
    public func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> DecodedEvent {
        guard message.count <= maxMessageBytes else {
            throw DecodeError(.oversized, at: 0, "the message has \(message.count) bytes, over the limit of \(maxMessageBytes)")
        }
        if let view = fastFields?.parse(message) {
            // The relevance test reads the tokens directly, so an event no rule can use builds only its time.
            let time: EventTime
            if let text = view.soleString(atSlot: timestampSlot), let parsed = Timestamp.parse(text) {
                time = parsed
            } else {
                let timestamp = view.value(atSlot: timestampSlot)
                if timestamp == nil && view.holdsObject(atSlot: timestampSlot) {
                    throw DecodeError(.wrongFieldType, at: 0, "\(timestampField) must be a date string or epoch milliseconds, not an object")
                }
                time = try eventTime(timestamp)
            }
            let mayMatch = relevanceTest.map { $0.screen?.rejects(view) != true && $0.mayMatch(view) }
            return event(time: time, mayMatch: mayMatch) { view.allSlots(count: slotCount) }
        }
        // simdjson rejected the message or could not represent it: the Swift reader decides, and names the error and
        // its position when there is one.
        var scanner = JSONScanner(bytes: message, slotCount: slotCount, trie: trie)
        try scanner.scanDocument()
        let slots = scanner.slots
        if slots[timestampSlot] == nil && scanner.objectSlots.contains(timestampSlot) {
            throw DecodeError(.wrongFieldType, at: 0, "\(timestampField) must be a date string or epoch milliseconds, not an object")
        }
        let time = try eventTime(slots[timestampSlot])
        let mayMatch = relevanceTest?.mayMatch(DecodedEvent(time: time, slots: slots))
        return event(time: time, mayMatch: mayMatch) { slots }
    }

    /// Returns the decoded event with the relevance test's result, `mayMatch`, or `nil` without a test. An event
    /// that no rule may use keeps its time only, so `slots` is not called for it.
    private func event(time: EventTime, mayMatch: Bool?, slots: () -> [EQLValue?]) -> DecodedEvent {
        var event = DecodedEvent(time: time, slots: mayMatch == false ? [] : slots())
        if let relevanceTest, let mayMatch { event.relevance = (relevanceTest.id, mayMatch) }
        return event
    }

    /// Decodes one message held in an array.
    public func decode(_ message: [UInt8]) throws(DecodeError) -> DecodedEvent {
        var result: Result<DecodedEvent, DecodeError>!
        message.withUnsafeBytes { buffer in
            do throws(DecodeError) {
                result = .success(try decode(buffer))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private func eventTime(_ value: EQLValue?) throws(DecodeError) -> EventTime {
        switch value {
        case nil, .null?:
            throw DecodeError(.missingTimestamp, at: 0, "the event has no \(timestampField)")
        case .string(let text)?:
            var utf8 = text
            let parsed = utf8.withUTF8 { Timestamp.parse($0) }
            guard let time = parsed else {
                throw DecodeError(.unparseableTimestamp, at: 0, "\(timestampField) \"\(text.prefix(64))\" is not an ISO 8601 date-time")
            }
            return time
        case .integer(let millis)?:
            // Elasticsearch's date type also takes epoch milliseconds.
            let (nanos, overflow) = millis.multipliedReportingOverflow(by: 1_000_000)
            guard !overflow else {
                throw DecodeError(.unparseableTimestamp, at: 0, "\(timestampField) \(millis) is out of range for epoch milliseconds")
            }
            return nanos
        case .array(let items)? where items.count == 1:
            return try eventTime(items[0])
        case let other?:
            throw DecodeError(.wrongFieldType, at: 0, "\(timestampField) must be a date string or epoch milliseconds, not \(other.typeName)")
        }
    }
}

extension EQLValue {
    /// The JSON type name of the value, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        }
    }
}


/// Decodes a batch of messages on background threads while the caller takes the results in order, so that
/// decoding the rest of a batch overlaps with whatever the caller does with the first results.
///
/// The messages' bytes must stay valid until every result has been taken or the batch is released.
public final class BackgroundDecodeBatch: @unchecked Sendable {
    /// The smallest batch worth handing to other threads; smaller ones decode faster on the calling thread.
    public static let minimumCount = 64
    /// Messages per unit of work. A worker signals each chunk as soon as it is decoded.
    static let chunkSize = 32

    private let results: UnsafeMutablePointer<Result<DecodedEvent, DecodeError>>
    private let count: Int
    private let chunkReady: [DispatchSemaphore]
    private var nextIndex = 0
    private var readyChunks = 0

    /// Starts decoding `messages` with `decoder` on `threads` background threads.
    public init(_ messages: [UnsafeRawBufferPointer], decoder: EventDecoder, threads: Int) {
        count = messages.count
        results = .allocate(capacity: max(1, count))
        let chunks = (count + Self.chunkSize - 1) / Self.chunkSize
        chunkReady = (0..<chunks).map { _ in DispatchSemaphore(value: 0) }
        let workers = max(1, min(threads, chunks))
        let shared = SharedBatch(messages: messages, results: results, chunkReady: chunkReady)
        // Worker w takes chunks w, w + workers, w + 2 * workers, ..., so the earliest chunks finish first.
        for worker in 0..<workers {
            DispatchQueue.global(qos: .userInitiated).async {
                var chunk = worker
                while chunk < chunks {
                    let start = chunk * Self.chunkSize
                    for index in start..<min(shared.messages.count, start + Self.chunkSize) {
                        (shared.results + index).initialize(
                            to: Result { () throws(DecodeError) in try decoder.decode(shared.messages[index]) })
                    }
                    shared.chunkReady[chunk].signal()
                    chunk += workers
                }
            }
        }
    }

    deinit {
        // Wait for every worker to finish before the memory is freed, then release the results not taken.
        while readyChunks < chunkReady.count {
            chunkReady[readyChunks].wait()
            readyChunks += 1
        }
        if nextIndex < count {
            (results + nextIndex).deinitialize(count: count - nextIndex)
        }
        results.deallocate()
    }

    /// Returns the next result in message order, waiting until it is decoded; `nil` after the last.
    public func next() -> Result<DecodedEvent, DecodeError>? {
        guard nextIndex < count else { return nil }
        let chunk = nextIndex / Self.chunkSize
        while readyChunks <= chunk {
            chunkReady[readyChunks].wait()
            readyChunks += 1
        }
        let result = (results + nextIndex).move()
        nextIndex += 1
        return result
    }
}

/// The state the workers of a ``BackgroundDecodeBatch`` share. Each worker writes only its own chunks' results, and
/// the reader takes a chunk's results only after that chunk's semaphore is signalled.
private struct SharedBatch: @unchecked Sendable {
    let messages: [UnsafeRawBufferPointer]
    let results: UnsafeMutablePointer<Result<DecodedEvent, DecodeError>>
    let chunkReady: [DispatchSemaphore]
}
