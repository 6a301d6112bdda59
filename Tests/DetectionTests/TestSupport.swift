import EQL
import Events
import Foundation
import Testing

@testable import Detection

/// The package root, found from this file's path.
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // DetectionTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

/// The folder of sample data: the event corpus, Elastic's rule files and the reference EQL engine. It is
/// `SAMPLE_DATA_DIR` when set (scripts/test sets it), else the folder named `shared` beside the package root.
let sampleDataFolder: URL = ProcessInfo.processInfo.environment["SAMPLE_DATA_DIR"].map { URL(fileURLWithPath: $0) }
    ?? packageRoot.appendingPathComponent("../shared").standardizedFileURL

/// The folder of sample events.
let corpusFolder: URL = sampleDataFolder.appendingPathComponent("corpus")

/// The folder of Elastic's rule files.
let rulesFolder: URL = sampleDataFolder.appendingPathComponent("rules")

/// The Network Connection via Signed Binary rule file: a two-stage sequence by `process.entity_id`.
let signedBinaryRulePath: String = rulesFolder.appendingPathComponent("network-connection-via-signed-binary.json").path

/// Loads the Network Connection via Signed Binary rule.
func loadSignedBinaryRule() throws -> Rule {
    let rules = try RuleLoader.load(path: signedBinaryRulePath)
    return try #require(rules.first)
}

/// Builds a rule from a query, with the other fields a Kibana EQL rule has.
func makeRule(query: String, ruleID: String = "test-rule", from: String = "now-9m") throws -> Rule {
    let object = JSONValue.object([
        ("rule_id", .string(ruleID)),
        ("name", .string("Test rule \(ruleID)")),
        ("type", .string("eql")),
        ("language", .string("eql")),
        ("query", .string(query)),
        ("severity", .string("medium")),
        ("risk_score", .integer(47)),
        ("from", .string(from)),
    ])
    return try RuleLoader.rule(from: object, source: "test", line: nil)
}

/// Returns the non-empty lines of an NDJSON file in the corpus folder, with their 1-based line numbers.
func corpusLines(_ name: String) throws -> [(number: Int, bytes: [UInt8])] {
    let data = try Data(contentsOf: corpusFolder.appendingPathComponent(name))
    let lines = Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var result: [(number: Int, bytes: [UInt8])] = []
    for (index, line) in lines.enumerated() where !line.isEmpty {
        result.append((index + 1, Array(line)))
    }
    return result
}

/// Creates an empty folder under the system temporary folder.
func makeTemporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("eqlstream-detection-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Rules compiled into one field table, a decoder for that table and a matcher, fed with JSON text.
final class MatcherHarness {
    let fields = FieldTable()
    let rules: [CompiledRule]
    let decoder: EventDecoder
    let matcher: SequenceMatcher
    var nextOffset: Int64 = 0

    /// With `screensEvents`, the decoder runs the rules' relevance test, as the service's decoder does.
    init(rules: [Rule], settings: MatcherSettings = MatcherSettings(allowedLateness: .seconds(240)),
         screensEvents: Bool = false) throws {
        let table = fields
        self.rules = try rules.map { try CompiledRule(rule: $0, fields: table, defaultWindow: .seconds(600)) }
        // The decoder is built after every rule has registered its fields, so that it fills every slot.
        var decoder = EventDecoder(fields: fields)
        if screensEvents { decoder.relevanceTest = SequenceMatcher.relevanceTest(for: self.rules) }
        self.decoder = decoder
        matcher = SequenceMatcher(rules: self.rules, settings: settings)
    }

    convenience init(query: String) throws {
        try self.init(rules: [makeRule(query: query)])
    }

    /// Creates a harness running the Network Connection via Signed Binary rule.
    static func signedBinaryRule(settings: MatcherSettings = MatcherSettings(allowedLateness: .seconds(240))) throws
        -> MatcherHarness
    {
        try MatcherHarness(rules: [loadSignedBinaryRule()], settings: settings)
    }

    /// Decodes and matches one message. Offsets count up from 0 unless `offset` is given.
    @discardableResult
    func feed(_ bytes: [UInt8], topic: String = "events", offset: Int64? = nil) throws -> SequenceMatcher.Outcome {
        let coordinates = EventCoordinates(topic: topic, partition: 0, offset: offset ?? nextOffset)
        nextOffset = coordinates.offset + 1
        let event = try decoder.decode(bytes)
        return bytes.withUnsafeBytes { matcher.process(event, raw: $0, at: coordinates) }
    }

    @discardableResult
    func feed(_ json: String, topic: String = "events", offset: Int64? = nil) throws -> SequenceMatcher.Outcome {
        try feed(Array(json.utf8), topic: topic, offset: offset)
    }

    /// Feeds one message and returns the sequences it completed. A late event is recorded as an issue.
    func matches(
        _ json: String, topic: String = "events", offset: Int64? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [SequenceMatch] {
        switch try feed(json, topic: topic, offset: offset) {
        case .processed(let matches):
            return matches
        case .late(let watermark):
            Issue.record("event was late, watermark \(Timestamp.format(watermark))", sourceLocation: sourceLocation)
            return []
        }
    }
}

/// The time the hand-made events count from, 2024-05-01T12:00:00Z in nanoseconds since the epoch.
let baseTime: EventTime = Timestamp.parse(Array("2024-05-01T12:00:00Z".utf8))!

/// Returns the text of `baseTime` plus `seconds`, at millisecond precision.
func at(_ seconds: Double) -> String {
    Timestamp.format(baseTime + Int64((seconds * 1_000).rounded()) * 1_000_000)
}

/// Returns a process event for the signed-binary rule's first stage with event.type `type`, `start` by default.
func processStart(_ time: String, entityID: String? = "A", name: String = "expand.exe", type: String = "start") -> String {
    let entity = entityID.map { #","entity_id":"\#($0)""# } ?? ""
    return #"{"@timestamp":"\#(time)","event":{"category":["process"],"type":["\#(type)"]},"#
        + #""process":{"name":"\#(name)"\#(entity)},"host":{"name":"ws-1"}}"#
}

/// Returns a network event for the signed-binary rule's second stage.
func networkConnection(_ time: String, entityID: String? = "A", destination: String = "8.8.8.8",
                       name: String = "expand.exe") -> String {
    let entity = entityID.map { #","entity_id":"\#($0)""# } ?? ""
    return #"{"@timestamp":"\#(time)","event":{"category":["network"],"type":["connection"]},"#
        + #""process":{"name":"\#(name)"\#(entity)},"destination":{"ip":"\#(destination)"},"host":{"name":"ws-1"}}"#
}

extension SequenceMatch {
    /// The offsets of the matched events, in stage order.
    var offsets: [Int64] { events.map(\.coordinates.offset) }
}

/// A small deterministic generator (SplitMix64), so random test cases are the same on every run and a failure
/// repeats.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// Returns one of `items`, chosen by the next number.
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}
