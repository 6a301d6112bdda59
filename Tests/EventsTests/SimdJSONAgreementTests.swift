import EQL
import Events
import Foundation
import Synchronization
import Testing

/// The simdjson path and the Swift reader must decode every message to the same slots or the same error.
@Suite("simdjson and Swift reader agreement")
struct SimdJSONAgreementTests {
    static let fields = [
        "@timestamp", "event.category", "event.type", "process.name", "process.entity_id", "process.args",
        "process.parent.name", "destination.ip", "destination.port", "host.ip", "user.name", "a", "a.b", "a.b.c",
        "n", "list", "o", "x.y", "p..q", ".lead", "nul\u{0}name",
    ]

    static func decoders() -> (fast: EventDecoder, swift: EventDecoder) {
        let fast = FieldTable()
        let swift = FieldTable()
        for field in fields {
            fast.slot(for: field)
            swift.slot(for: field)
        }
        return (EventDecoder(fields: fast), EventDecoder(fields: swift, usesSimdJSON: false))
    }

    /// Returns a comparable description of one decode: the slots, or the reason, offset and detail of the error.
    static func outcome(_ decoder: EventDecoder, _ bytes: [UInt8]) -> String {
        do {
            let event = try decoder.decode(bytes)
            return "time=\(event.time) slots=\(event.slots)"
        } catch {
            return "error=\(error.reason) at=\(error.byteOffset) \(error.detail)"
        }
    }

    @Test("corpus events decode alike")
    func corpusEvents() throws {
        let (fast, swift) = Self.decoders()
        var lines = 0
        for name in ["real_ecs_events.ndjson", "labelled_cases.ndjson"] {
            let text = try String(contentsOf: corpusFolder.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") where !line.isEmpty {
                let bytes = Array(line.utf8)
                #expect(Self.outcome(fast, bytes) == Self.outcome(swift, bytes), "line: \(line.prefix(120))")
                lines += 1
            }
        }
        #expect(lines > 100)
    }

    static let edgeCaseDocuments: [String] = [
        #"{"@timestamp":"2024-01-01T00:00:00Z","a":{"b":{"c":1}},"a.b":{"c":2},"a.b.c":3}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","list":[1,[2,[3,"x"]],{"y":1},null,true,-0,1.5e3]}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","x":[{"y":"a"},{"y":["b","c"]},{"z":1}]}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","o":{"nested":true},"n":null}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","n":-9223372036854775808,"a":18446744073709551615}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","n":9223372036854775807,"a":123456789012345678901234567890}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process.name":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/","n":1e400}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","skipped":"\ud800","process.name":"x"}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","process.name":"\ud800"}"#,
        #"{"@timestamp":1704067200000,"process":{"name":"a"},"process.name":"b"}"#,
        #"{"@timestamp":{"t":1}}"#,
        #"{"@timestamp":["2024-01-01T00:00:00Z"]}"#,
        #"{"process.name":"no time"}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","a":[1,2,]}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z",}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z"} trailing"#,
        #"[1,2,3]"#, #""just a string""#, "", "   ", "{", #"{"a":tru}"#, #"{"a":01}"#, #"{"a":1.}"#,
        "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"a\":\"tab\there\"}",
        "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"\":\"empty key\",\"a..b\":1}",
        #"{"@timestamp":"2024-01-01T00:00:00Z","p..q":1,"p":{"":{"q":2}},"p.":{"q":3},".lead":4,"":{"lead":5}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","p":{".q":6}}"#,
        #"{"@timestamp":"2024-01-01T00:00:00Z","nul\u0000name":7,"nul":8}"#,
        String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        "{\"@timestamp\":\"2024-01-01T00:00:00Z\",\"deep\":" + String(repeating: "{\"k\":", count: 110) + "1"
            + String(repeating: "}", count: 110) + "}",
    ]

    @Test("edge cases decode alike", arguments: edgeCaseDocuments)
    func edgeCases(_ json: String) {
        let (fast, swift) = Self.decoders()
        let bytes = Array(json.utf8)
        #expect(Self.outcome(fast, bytes) == Self.outcome(swift, bytes))
    }

    /// A relevance test reads each slot on its own from the parsed message; every read must equal the slot the
    /// full decode fills.
    @Test("slot reads during the relevance test agree with the decoded slots")
    func slotReads() throws {
        let table = FieldTable()
        for field in Self.fields { table.slot(for: field) }
        let reads = Mutex<[EQLValue?]>([])
        var decoder = EventDecoder(fields: table)
        decoder.relevanceTest = RelevanceTest(requirements: [.anything]) { source in
            reads.withLock { $0 = (0..<Self.fields.count).map { source.value(atSlot: $0) } }
            return true
        }
        var lines = Self.edgeCaseDocuments.map { Array($0.utf8) }
        for name in ["real_ecs_events.ndjson", "labelled_cases.ndjson"] {
            let text = try String(contentsOf: corpusFolder.appendingPathComponent(name), encoding: .utf8)
            lines += text.split(separator: "\n").map { Array($0.utf8) }
        }
        var compared = 0
        for bytes in lines {
            reads.withLock { $0 = [] }
            guard let event = try? decoder.decode(bytes) else { continue }
            let read = reads.withLock { $0 }
            #expect("\(read)" == "\(event.slots)", "line: \(String(decoding: bytes.prefix(120), as: UTF8.self))")
            compared += 1
        }
        #expect(compared > 100)
    }

    @Test("invalid UTF-8 decodes alike")
    func invalidUTF8() {
        let (fast, swift) = Self.decoders()
        let prefix = Array(#"{"@timestamp":"2024-01-01T00:00:00Z","process.name":""#.utf8)
        for tail: [UInt8] in [[0xFF], [0xC0, 0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] {
            let bytes = prefix + tail + Array(#""}"#.utf8)
            #expect(Self.outcome(fast, bytes) == Self.outcome(swift, bytes), "bytes: \(tail)")
        }
    }
}
