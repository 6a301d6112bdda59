import EQL
import Events
import Foundation
import Testing

@testable import Detection

@Suite("Corpus replay")
struct CorpusReplayTests {
    /// A labelled case: its id, its first and last line in the events file and how many alerts it should give.
    struct LabelledCase {
        var id: String
        var lines: ClosedRange<Int>
        var expectedAlerts: Int
    }

    /// Reads the case table that sits next to the labelled events (tab-separated, with a header row).
    static func labelledCases() throws -> [LabelledCase] {
        let text = try String(
            contentsOf: corpusFolder.appendingPathComponent("labelled_cases.expected.tsv"), encoding: .utf8)
        var cases: [LabelledCase] = []
        for row in text.split(separator: "\n").dropFirst() {
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false)
            let bounds = try #require(columns.count >= 3 ? columns[1].split(separator: "-") : nil, "bad row: \(row)")
            let first = try #require(bounds.first.flatMap { Int($0) })
            let last = try #require(bounds.last.flatMap { Int($0) })
            let expected = try #require(Int(columns[2]))
            cases.append(LabelledCase(id: String(columns[0]), lines: first...last, expectedAlerts: expected))
        }
        return cases
    }

    /// Replays an NDJSON file in file order through one matcher running the signed-binary rule. Offsets are line
    /// numbers minus one.
    static func replay(_ file: String) throws -> (harness: MatcherHarness, matches: [SequenceMatch], fed: Int) {
        let harness = try MatcherHarness.signedBinaryRule(settings: MatcherSettings(allowedLateness: .seconds(240)))
        var matches: [SequenceMatch] = []
        var fed = 0
        for line in try corpusLines(file) {
            if case .processed(let found) = try harness.feed(line.bytes, offset: Int64(line.number - 1)) {
                matches += found
            }
            fed += 1
        }
        return (harness, matches, fed)
    }

    /// Returns `process.entity_id` of the event on a 1-based line, read with Foundation.
    static func entityID(line number: Int, of lines: [(number: Int, bytes: [UInt8])]) throws -> String {
        let line = try #require(lines.first { $0.number == number })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.bytes)) as? [String: Any])
        let process = try #require(object["process"] as? [String: Any])
        return try #require(process["entity_id"] as? String)
    }

    @Test("labelled cases alert for D01, D06 and D14")
    func labelledCasesAlert() throws {
        let cases = try Self.labelledCases()
        let alerting = cases.filter { $0.expectedAlerts > 0 }
        #expect(alerting.map(\.id) == ["D01", "D06", "D14"])

        let lines = try corpusLines("labelled_cases.ndjson")
        let expectedIDs = try alerting.map { try Self.entityID(line: $0.lines.lowerBound, of: lines) }
        let expectedOffsets = alerting.map { [Int64($0.lines.lowerBound - 1), Int64($0.lines.upperBound - 1)] }

        let (harness, matches, _) = try Self.replay("labelled_cases.ndjson")
        #expect(matches.count == 3)
        #expect(matches.map(\.key) == expectedIDs.map { [EQLValue.string($0)] })
        #expect(matches.map(\.offsets) == expectedOffsets)
        #expect(harness.matcher.lateEvents == 0)
    }

    @Test("each labelled case alone")
    func labelledCasesOneByOne() throws {
        let lines = try corpusLines("labelled_cases.ndjson")
        let cases = try Self.labelledCases()
        #expect(!cases.isEmpty)
        for labelled in cases {
            let harness = try MatcherHarness.signedBinaryRule()
            var alerts = 0
            for line in lines where labelled.lines.contains(line.number) {
                if case .processed(let found) = try harness.feed(line.bytes) {
                    alerts += found.count
                }
            }
            #expect(alerts == labelled.expectedAlerts, "case \(labelled.id)")
        }
    }

    @Test("real events give no alerts")
    func realEventsNoAlerts() throws {
        let (_, matches, fed) = try Self.replay("real_ecs_events.ndjson")
        #expect(fed > 0)
        #expect(matches.isEmpty)
    }
}
