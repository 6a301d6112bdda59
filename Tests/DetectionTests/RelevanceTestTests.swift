import EQL
import Events
import Foundation
import Testing

@testable import Detection

/// The decoder's relevance test drops the values of events that no rule can use; matching must not change.
@Suite("Relevance test")
struct RelevanceTestTests {
    static let rules: [String] = [
        #"sequence by process.entity_id [process where event.type == "start"] [network where destination.port == 443] until [process where event.type == "end"]"#,
        #"sequence by host.name with maxspan=1m [any where process.name : "*.exe"] [file where file.extension : "cab"]"#,
        #"process where process.name : ("expand.exe", "cmd.exe")"#,
    ]

    /// Feeds every line of `file` and describes each outcome: the matched events' offsets per rule, or late.
    static func outcomes(_ file: String, rules: [Rule], screensEvents: Bool) throws -> (outcomes: [String], screenedOut: Int) {
        let harness = try MatcherHarness(rules: rules, screensEvents: screensEvents)
        var outcomes: [String] = []
        var screenedOut = 0
        for line in try corpusLines(file) {
            guard let event = try? harness.decoder.decode(line.bytes) else {
                outcomes.append("\(line.number): rejected")
                continue
            }
            if event.relevance?.mayMatch == false {
                screenedOut += 1
                #expect(event.slots.isEmpty)
            }
            let coordinates = EventCoordinates(topic: "events", partition: 0, offset: Int64(line.number))
            switch line.bytes.withUnsafeBytes({ harness.matcher.process(event, raw: $0, at: coordinates) }) {
            case .late:
                outcomes.append("\(line.number): late")
            case .processed(let matches):
                for match in matches {
                    outcomes.append("\(line.number): rule \(match.ruleIndex) \(match.events.map(\.coordinates.offset))")
                }
            }
        }
        return (outcomes, screenedOut)
    }

    @Test("matching is the same with and without the test")
    func sameMatches() throws {
        var screenedOut = 0
        var signedBinaryMatches = 0
        var mixed = try [loadSignedBinaryRule()]
        for (index, query) in Self.rules.enumerated() {
            mixed.append(try makeRule(query: query, ruleID: "extra-\(index)"))
        }
        // The signed-binary rule alone, then with rules whose stages overlap it and each other.
        for rules in [[try loadSignedBinaryRule()], mixed] {
            for file in ["real_ecs_events.ndjson", "labelled_cases.ndjson"] {
                let screened = try Self.outcomes(file, rules: rules, screensEvents: true)
                let plain = try Self.outcomes(file, rules: rules, screensEvents: false)
                #expect(screened.outcomes == plain.outcomes, "file: \(file), rules: \(rules.count)")
                #expect(plain.screenedOut == 0)
                screenedOut += screened.screenedOut
                signedBinaryMatches += screened.outcomes.filter { $0.contains("rule 0") }.count
            }
        }
        #expect(screenedOut > 10)
        #expect(signedBinaryMatches == 6)
    }

    @Test("a screened-out event keeps its time and drops its values")
    func screenedOutEvent() throws {
        let harness = try MatcherHarness(rules: [loadSignedBinaryRule()], screensEvents: true)
        let other = try harness.decoder.decode(Array(processStart(at(0), name: "notepad.exe").utf8))
        #expect(other.relevance?.mayMatch == false)
        #expect(other.slots.isEmpty)
        #expect(other.time == baseTime)
        let start = try harness.decoder.decode(Array(processStart(at(1)).utf8))
        #expect(start.relevance?.mayMatch == true)
        #expect(!start.slots.isEmpty)
        #expect(start.relevance?.testID == harness.decoder.relevanceTest?.id)
    }
}

/// The screen that runs before the filters must never set aside an event that a filter matches.
@Suite("Relevance screen")
struct RelevanceScreenTests {
    static let queries: [String] = [
        #"process where process.name : ("expand.exe", "MAKECAB.exe") and event.type == "start""#,
        #"network where process.name in~ ("Expand.EXE") or destination.ip == "10.0.0.1""#,
        #"any where process.name like "cmd.exe" and not process.name == "x""#,
        #"any where process.name like~ "CMD.EXE""#,
        #"file where host.name in ("ws-1", "WS-2")"#,
        #"any where process.name : "é.exe""#,
        #"any where process.name == "a\u{00}b" or process.name : "x\u{00}""#,
    ]

    static let documents: [String] = [
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["process"],"type":["start"]},"process":{"name":"EXPAND.exe"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":"process","type":"start"},"process":{"name":"makecab.exe"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["process"],"type":["end"]},"process":{"name":"expand.exe"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["network"]},"process":{"name":["x","expand.exe"]}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["network"]},"destination":{"ip":"10.0.0.1"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["network"]},"destination.ip":"10.0.0.2"}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event.category":"file","host":{"name":"WS-1"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event.category":["file"],"host":{"name":"ws-1"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["process"]},"process":{"name":"CMD.exe"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","event":{"category":["process"]},"process":{"name":"cmd.exe"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"\u00c9.EXE"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"e\u0301.exe"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"\u212a.exe"},"event":{"category":["process"],"type":"start"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"ex\u0070and.exe"},"event":{"category":["process"],"type":"start"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":[{"name":"cmd.exe"}],"event":{"category":[["process"]]}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":5},"event":{"category":["process"]}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"a\u0000b"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"X\u0000"}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process":{"name":"a"}}"#,
    ]

    @Test("each rule alone and all together screen exactly as the filters decide")
    func screenAgreesWithFilters() throws {
        var lines = Self.documents.map { Array($0.utf8) }
        lines += try corpusLines("real_ecs_events.ndjson").map(\.bytes)
        lines += try corpusLines("labelled_cases.ndjson").map(\.bytes)
        var ruleSets = try Self.queries.enumerated().map { [try makeRule(query: $1, ruleID: "r\($0)")] }
        ruleSets.append(ruleSets.flatMap { $0 })
        ruleSets.append([try loadSignedBinaryRule()])
        var kept = 0
        var setAside = 0
        for rules in ruleSets {
            let screened = try MatcherHarness(rules: rules, screensEvents: true)
            let plain = try MatcherHarness(rules: rules)
            for bytes in lines {
                guard let event = try? plain.decoder.decode(bytes) else { continue }
                let filters = plain.rules.flatMap { $0.stages.map(\.filter) + ($0.until.map { [$0.filter] } ?? []) }
                let matches = filters.contains { $0.matches(event) }
                let relevance = try screened.decoder.decode(bytes).relevance
                #expect(relevance?.mayMatch == matches, "rules: \(rules.map(\.query)) event: \(String(decoding: bytes.prefix(160), as: UTF8.self))")
                if matches { kept += 1 } else { setAside += 1 }
            }
        }
        #expect(kept > 20)
        #expect(setAside > 100)
    }
}

/// Random rules and events: the screen and the filters must agree on every pair.
@Suite("Relevance screen, random cases")
struct RelevanceScreenRandomTests {
    static let fields = ["process.name", "event.type", "host.name"]
    static let words = ["cmd.exe", "CMD.EXE", "Cmd.exe", "expand.exe", "start", "Start", "é.exe", "É.EXE", "k.exe",
                        "\u{212A}.exe", "a*b", "x?y", "", "ws-1", "WS-1"]

    static func literal(_ generator: inout SeededGenerator) -> String {
        let word = generator.pick(words)
        return "\"" + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func condition(_ generator: inout SeededGenerator, depth: Int) -> String {
        let field = generator.pick(fields)
        switch generator.next() % (depth > 2 ? 6 : 9) {
        case 0: return "\(field) == \(literal(&generator))"
        case 1: return "\(field) : \(literal(&generator))"
        case 2: return "\(field) in (\(literal(&generator)), \(literal(&generator)))"
        case 3: return "\(field) in~ (\(literal(&generator)), \(literal(&generator)))"
        case 4: return "\(field) like~ \(literal(&generator))"
        case 5: return "\(field) : (\(literal(&generator)), \(literal(&generator)))"
        case 6: return "(\(condition(&generator, depth: depth + 1)) and \(condition(&generator, depth: depth + 1)))"
        case 7: return "(\(condition(&generator, depth: depth + 1)) or \(condition(&generator, depth: depth + 1)))"
        default: return "not \(condition(&generator, depth: depth + 1))"
        }
    }

    static func jsonValue(_ generator: inout SeededGenerator) -> String? {
        switch generator.next() % 6 {
        case 0: return nil
        case 1: return "[" + literal(&generator) + "," + literal(&generator) + "]"
        case 2: return "5"
        default: return literal(&generator)
        }
    }

    static func event(_ generator: inout SeededGenerator) -> String {
        var members = [#""@timestamp":"2024-01-01T00:00:00Z""#]
        members.append(#""event":{"category":"# + generator.pick([#"["process"]"#, #""process""#, #"["network"]"#, #"["file","process"]"#]) +
            (jsonValue(&generator).map { #","type":"# + $0 } ?? "") + "}")
        if let name = jsonValue(&generator) { members.append(#""process":{"name":"# + name + "}") }
        if let host = jsonValue(&generator) { members.append(#""host.name":"# + host) }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test("screen and filters agree on random rules and events")
    func randomAgreement() throws {
        var generator = SeededGenerator(seed: 42)
        var compared = 0
        var setAside = 0
        for ruleIndex in 0..<60 {
            let category = generator.pick(["process", "network", "any"])
            let query = "\(category) where \(Self.condition(&generator, depth: 0))"
            let rules = [try makeRule(query: query, ruleID: "random-\(ruleIndex)")]
            let screened = try MatcherHarness(rules: rules, screensEvents: true)
            let plain = try MatcherHarness(rules: rules)
            let filters = plain.rules.flatMap { $0.stages.map(\.filter) }
            for _ in 0..<40 {
                let bytes = Array(Self.event(&generator).utf8)
                guard let event = try? plain.decoder.decode(bytes) else { continue }
                let matches = filters.contains { $0.matches(event) }
                let relevance = try screened.decoder.decode(bytes).relevance
                #expect(relevance?.mayMatch == matches, "query: \(query) event: \(String(decoding: bytes, as: UTF8.self))")
                compared += 1
                if !matches { setAside += 1 }
            }
        }
        #expect(compared == 2_400)
        #expect(setAside > 100)
        #expect(setAside < compared)
    }
}
