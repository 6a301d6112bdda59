import Detection
import EQL
import Events
import Foundation

/// Runs the engine over NDJSON files as the service would run it over one partition.
///
/// Each file is read in line order as one log, with offsets equal to line numbers minus one, so alert ids and
/// ancestors name `name/0@offset` after the file's name. With `sortByTime`, all events are first sorted by event time (stable), which gives
/// the answer Elasticsearch gives for a backtest over the same data.
public struct Replay {
    public struct Summary: Sendable {
        public var counters = Counters()
        public var lines = 0
        /// Held events dropped because the cap on held events was reached; sequences they started are lost.
        public var evictedEvents = 0
    }

    public let ruleSet: RuleSet
    public let settings: MatcherSettings
    public var sortByTime = false
    /// Called every few thousand lines read with the lines and bytes read so far, for a progress display.
    public var onProgress: ((_ lines: Int, _ bytes: Int64) -> Void)?
    /// Lines between two ``onProgress`` calls.
    static let progressStep = 4096
    /// Threads that decode each batch of lines; matching runs on the calling thread, in line order.
    public var decodeThreads = Configuration.defaultDecodeThreads
    /// Bytes read at a time; the lines that end in one read are decoded together.
    static let chunkBytes = 2 << 20

    public init(ruleSet: RuleSet, settings: MatcherSettings) {
        self.ruleSet = ruleSet
        self.settings = settings
    }

    /// Replays `files` through one lane, calling `emit` for each alert and `report` for each rejected or late event.
    ///
    /// In file order the files are streamed, so memory holds only the matcher's state. Sorting by time reads every
    /// file into memory first.
    public func run(files: [String], emit: (Alert) -> Void, report: (String) -> Void) throws -> Summary {
        // Each file's events are named after the file, so two files with one name would share offsets and ids.
        var paths: [String: String] = [:]
        for file in files {
            let name = URL(fileURLWithPath: file).lastPathComponent
            if let first = paths[name] {
                throw ConfigurationError(
                    "\(first) and \(file) have the same file name, \(name); replay names events and alert ids after the file name, so rename one of them")
            }
            paths[name] = file
        }
        var summary = Summary()
        let lane = Lane(partition: 0, rules: ruleSet.rules, decoder: ruleSet.decoder, settings: settings)
        lane.skipsHandledOffsets = !sortByTime
        let detectionTime = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        if !sortByTime {
            // A reader thread reads and splits batches of lines, background threads decode them, and this thread
            // matches each line as soon as it is decoded, so reading, decoding and matching overlap.
            let batches = BatchPipe(capacity: 4)
            let decoder = ruleSet.decoder
            let threads = decodeThreads
            let pool = ChunkPool(chunkSize: Self.chunkBytes)
            let reader = Thread {
                var bytesRead: Int64 = 0
                var linesRead = 0
                do {
                    for file in files {
                        // The file name stands for the topic, so alert ids do not depend on how the path was spelled.
                        let topic = URL(fileURLWithPath: file).lastPathComponent
                        try LineChunks.forEachChunk(in: file, pool: pool) { buffer, lines in
                            let base = UnsafeRawBufferPointer(buffer)
                            var kept: [(number: Int64, range: Range<Int>)] = []
                            kept.reserveCapacity(lines.count)
                            for line in lines {
                                let bytes = UnsafeRawBufferPointer(rebasing: base[line.range])
                                reportProgress(bytes, bytes: &bytesRead, lines: &linesRead)
                                if !Self.isBlank(bytes) { kept.append(line) }
                            }
                            batches.put(.batch(LineBatch(
                                topic: topic, bytes: buffer, lines: kept, pool: pool, decoder: decoder, threads: threads)))
                        }
                    }
                    batches.put(.end)
                } catch {
                    batches.put(.failed(error))
                }
            }
            reader.start()
            loop: while true {
                switch batches.take() {
                case .batch(let batch):
                    for index in batch.lines.indices {
                        summary.lines += 1
                        process(batch.line(index), decoded: batch.nextDecoded(), topic: batch.topic,
                                offset: batch.lines[index].number, lane: lane, detectionTime: detectionTime,
                                summary: &summary, emit: emit, report: report)
                    }
                case .end:
                    break loop
                case .failed(let error):
                    throw error
                }
            }
            summary.evictedEvents = lane.matcher.evictedEvents
            return summary
        }

        var bytesRead: Int64 = 0
        var linesRead = 0
        var messages: [(topic: String, offset: Int64, bytes: [UInt8], time: Int64, tiebreaker: EQLValue?)] = []
        // When every rule orders events by the same override field and tiebreaker, sort by those, as
        // Elasticsearch's search would; otherwise by @timestamp, and each rule reorders its own events.
        let orderingRule = ruleSet.rules.first.flatMap { first in
            ruleSet.rules.allSatisfy {
                $0.rule.timestampOverride == first.rule.timestampOverride && $0.rule.tiebreakerField == first.rule.tiebreakerField
            } ? first : nil
        }
        for file in files {
            let topic = URL(fileURLWithPath: file).lastPathComponent
            try LineChunks.forEachLine(in: file) { offset, line in
                reportProgress(line, bytes: &bytesRead, lines: &linesRead)
                guard !Self.isBlank(line) else { return }
                summary.lines += 1
                var time = Int64.max
                var tiebreaker: EQLValue?
                if let event = try? ruleSet.decoder.decode(line) {
                    time = orderingRule.map { $0.time(of: event) ?? .max } ?? event.time
                    tiebreaker = orderingRule?.tiebreaker(of: event)
                }
                messages.append((topic, offset, Array(line), time, tiebreaker))
            }
        }
        messages = messages.enumerated().sorted { lhs, rhs in
            if lhs.element.time != rhs.element.time { return lhs.element.time < rhs.element.time }
            switch (lhs.element.tiebreaker, rhs.element.tiebreaker) {
            case (let left?, let right?):
                if let order = EQLValueOrder.compare(left, right), order != 0 { return order < 0 }
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): break
            }
            return lhs.offset < rhs.offset
        }.map(\.element)
        for message in messages {
            message.bytes.withUnsafeBytes {
                process($0, topic: message.topic, offset: message.offset, lane: lane, detectionTime: detectionTime,
                        summary: &summary, emit: emit, report: report)
            }
        }
        summary.evictedEvents = lane.matcher.evictedEvents
        return summary
    }

    /// Counts one line and its newline, and calls ``onProgress`` every ``progressStep`` lines.
    private func reportProgress(_ line: UnsafeRawBufferPointer, bytes: inout Int64, lines: inout Int) {
        bytes += Int64(line.count) + 1
        lines += 1
        if lines % Self.progressStep == 0 { onProgress?(lines, bytes) }
    }

    /// Returns the total size of `files` in bytes, or `nil` when one of them is not a regular file, such as a pipe.
    public static func totalSize(of files: [String]) -> Int64? {
        var total: Int64 = 0
        for file in files {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let size = attributes[.size] as? NSNumber
            else { return nil }
            total += size.int64Value
        }
        return total
    }

    private static func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    private func process(_ line: UnsafeRawBufferPointer, decoded: Result<DecodedEvent, DecodeError>? = nil, topic: String,
                         offset: Int64, lane: Lane, detectionTime: Int64,
                         summary: inout Summary, emit: (Alert) -> Void, report: (String) -> Void) {
        summary.counters.consumed += 1
        switch lane.handle(topic: topic, offset: offset, payload: line, decoded: decoded, detectionTime: detectionTime) {
        case .duplicate:
            return
        case .rejected(let error, _):
            summary.counters.decodeFailures[error.reason, default: 0] += 1
            report("\(topic):\(offset + 1): \(error.reason.rawValue): \(error.detail)")
        case .late(let time, let watermark):
            summary.counters.lateEvents += 1
            report(
                "\(topic):\(offset + 1): late event at \(Timestamp.format(time)), behind the watermark \(Timestamp.format(watermark)); not matched")
        case .matched(let alerts, _):
            for record in alerts {
                summary.counters.alertsProduced += 1
                emit(record.alert)
            }
        }
    }
}

/// The lines that end in one chunk of a file, decoded together on background threads.
final class LineBatch: @unchecked Sendable {
    let topic: String
    let lines: [(number: Int64, range: Range<Int>)]
    private let bytes: UnsafeMutableRawBufferPointer
    private let pool: ChunkPool
    private var decoded: BackgroundDecodeBatch?

    /// Takes ownership of `bytes`, which goes back to `pool` once the batch is done, and starts decoding `lines`.
    init(topic: String, bytes: UnsafeMutableRawBufferPointer, lines: [(number: Int64, range: Range<Int>)],
         pool: ChunkPool, decoder: EventDecoder, threads: Int) {
        self.topic = topic
        self.bytes = bytes
        self.lines = lines
        self.pool = pool
        let base = UnsafeRawBufferPointer(bytes)
        decoded = BackgroundDecodeBatch(
            lines.map { UnsafeRawBufferPointer(rebasing: base[$0.range]) }, decoder: decoder, threads: threads)
    }

    deinit {
        decoded = nil  // waits for the decode to finish with the bytes
        pool.give(bytes)
    }

    /// Returns line `index`'s bytes.
    func line(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[lines[index].range])
    }

    /// Returns the next decoded line, in order, waiting for it.
    func nextDecoded() -> Result<DecodedEvent, DecodeError>? {
        decoded?.next()
    }
}

/// A bounded hand-over of decoded batches from the reader thread to the matching thread.
final class BatchPipe: @unchecked Sendable {
    enum Item {
        case batch(LineBatch)
        case end
        case failed(Error)
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds an item, waiting while the pipe is full.
    func put(_ item: Item) {
        condition.lock()
        while items.count >= capacity { condition.wait() }
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    /// Removes the oldest item, waiting while the pipe is empty.
    func take() -> Item {
        condition.lock()
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        condition.unlock()
        return item
    }
}
