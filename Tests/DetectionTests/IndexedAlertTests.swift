import EQL
import Events
import Foundation
import Testing

@testable import Detection

/// The alert builder reads events into a flat index when it can, and into JSON value trees otherwise. These tests
/// hold the two paths to the same bytes.
@Suite("Alerts from indexed events")
struct IndexedAlertTests {
    static let detectionTime: EventTime = baseTime + 60 * 1_000_000_000

    /// Compiles a rule whose sequences join on `process.entity_id` and `host.name`, so key fields are looked up nested.
    static func compiledRule(query: String = "sequence by process.entity_id, host.name [any where true] [any where true]")
        throws -> CompiledRule
    {
        try CompiledRule(rule: makeRule(query: query), fields: FieldTable(), defaultWindow: .seconds(600))
    }

    static func match(_ documents: [String], key: [EQLValue] = [.string("E1"), .string("h1")]) -> SequenceMatch {
        let events = documents.enumerated().map { index, text in
            StoredEvent(coordinates: EventCoordinates(topic: "t", partition: 3, offset: Int64(index) + 7),
                        time: baseTime + Int64(index), arrival: Int64(index), maxTimeBefore: nil,
                        raw: Array(text.utf8), decoded: DecodedEvent(time: baseTime, slots: []))
        }
        return SequenceMatch(ruleIndex: 0, key: key, events: events)
    }

    /// Builds the alert both ways and returns whether the indexed path took the events, after checking that the
    /// two documents are the same bytes.
    @discardableResult
    static func expectSameAlert(_ documents: [String], rule: CompiledRule, key: [EQLValue] = [.string("E1"), .string("h1")],
                                sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let match = match(documents, key: key)
        let tree = AlertBuilder.build(match, rule: rule, detectionTime: detectionTime,
                                      maxBytes: AlertBuilder.defaultMaxBytes,
                                      parts: AlertBuilder.treeParts(match, rule: rule))
        guard let parts = AlertBuilder.indexedParts(match, rule: rule) else { return false }
        let indexed = AlertBuilder.build(match, rule: rule, detectionTime: detectionTime,
                                         maxBytes: AlertBuilder.defaultMaxBytes, parts: parts)
        #expect(indexed.json == tree.json, "\(documents)", sourceLocation: sourceLocation)
        return true
    }

    @Test("corpus event pairs and triples")
    func corpusEvents() throws {
        let rule = try Self.compiledRule()
        let lines = try corpusLines("real_ecs_events.ndjson").map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(lines.count > 100)
        var indexed = 0
        for index in lines.indices {
            let next = lines[(index + 1) % lines.count]
            let third = lines[(index + 7) % lines.count]
            if Self.expectSameAlert([lines[index], next], rule: rule) { indexed += 1 }
            Self.expectSameAlert([lines[index], lines[index]], rule: rule)
            Self.expectSameAlert([lines[index], next, third], rule: rule)
        }
        // Most real events are in the form the index takes. If none were, the indexed path would never run.
        #expect(indexed > lines.count / 2)
    }

    @Test("events the index rejects", arguments: [
        #"{"a":"\/"}"#, #"{"a":"\u00e9"}"#, #"{"a":"\b"}"#, #"{"a":"\u000a"}"#, #"{"a":"\u001F"}"#,
        #"{"a":1.5}"#, #"{"a":1e3}"#, #"{"a":-0}"#, #"{"a":0012}"#, #"{"a":1234567890123456789}"#,
        #"{"k\"ey":1}"#, #"{"ké":1}"#, #"[1]"#, #"{"a":1} x"#, #"{"a":tru}"#, #"{"a":"\#u{01}"}"#,
    ])
    func rejected(document: String) throws {
        #expect(CanonicalJSON(Array(document.utf8)) == nil)
        // The tree path still builds an alert from these.
        let rule = try Self.compiledRule()
        #expect(!Self.expectSameAlert([document, #"{"a":2}"#], rule: rule))
    }

    @Test("edge cases match both ways", arguments: [
        // Key order, repeats and whitespace.
        [#"{"b":1,"a":2,"a":3}"#, #" { "a" : 3 , "b" : 1 } "#],
        [#"{"x":{"z":[{"b":1,"a":2}],"y":true}}"#, #"{"x":{"y":true,"z":[{"a":2,"b":1}]}}"#],
        // Empty containers, mixed kinds and partial overlap.
        [#"{"x":{},"y":[],"z":{"a":{}}}"#, #"{"x":{},"y":[],"z":{"a":{}}}"#],
        [#"{"a":{"b":1},"c":"s","d":null}"#, #"{"a":"s","c":{"b":1},"d":null}"#],
        [#"{"a":{"b":1,"c":2},"n":[1,2]}"#, #"{"a":{"b":1,"c":3},"n":[1,2,3]}"#],
        // Escapes and non-ASCII text, precomposed and decomposed.
        [#"{"s":"q\"b\\n\n\r\t\u0001","u":"Caf\#u{E9}"}"#, #"{"s":"q\"b\\n\n\r\t\u0001","u":"Cafe\#u{301}"}"#],
        [#"{"u":"\#u{1F600}","v":"x"}"#, #"{"u":"\#u{1F600}","v":"y"}"#],
        // Members the alert owns, nested and dotted.
        [#"{"@timestamp":"t","event":{"kind":"x"},"kibana.alert.uuid":"u","kibana":{"a":1},"eqlstream.x":1,"eqlstream":{},"event.kind":"k","keep":1}"#,
         #"{"@timestamp":"t","event":{"kind":"x"},"kibana.alert.uuid":"u","kibana":{"a":1},"eqlstream.x":1,"eqlstream":{},"event.kind":"k","keep":1}"#],
        // Join key fields nested, dotted, different or missing.
        [#"{"process":{"entity_id":"E1"},"host":{"name":"h1"}}"#, #"{"process":{"entity_id":"E1"},"host":{"name":"h1"}}"#],
        [#"{"process.entity_id":"E1","host.name":"h1"}"#, #"{"process.entity_id":"E1","host.name":"h1"}"#],
        [#"{"process":{"entity_id":"E1"},"host":{"name":"h1"}}"#, #"{"process":{"entity_id":"E1"},"host":{"name":"h2"}}"#],
        [#"{"process":{"entity_id":{"x":1}}}"#, #"{"process":{"entity_id":{"x":1}}}"#],
        [#"{"process":{"entity_id":{}}}"#, #"{"process":{"entity_id":{}}}"#],
        // Reason fields: category as text, list or number, and names nested or dotted.
        [#"{"event":{"category":"network"},"process":{"name":"a.exe"},"user.name":"u"}"#,
         #"{"event":{"category":["network","process",3]},"process.name":"b.exe","destination":{"ip":"1.2.3.4"}}"#],
        [#"{"event":{"category":5},"host":{"name":"h"}}"#, #"{"event":"x","host":{"name":7}}"#],
        [#"{"event":{"category":[]},"user":{"name":"n\"q"}}"#, #"{"event":{"category":[1]},"user":{"name":"\#u{E9}"}}"#],
        // Integers at the edges of the accepted range.
        [#"{"n":-999999999999999999,"m":0,"o":[0,-1,10]}"#, #"{"n":-999999999999999999,"m":0,"o":[0,-1,10]}"#],
    ])
    func edgeCases(documents: [String]) throws {
        let rule = try Self.compiledRule()
        let indexedRuns = [documents, documents.reversed(), documents + documents].map {
            Self.expectSameAlert($0, rule: rule)
        }
        #expect(indexedRuns == [true, true, true], "the index rejected the events")
    }

    @Test("single event keeps empty objects")
    func singleEvent() throws {
        let rule = try Self.compiledRule(query: "any where true")
        let document = #"{"x":{},"y":{"z":{}},"process":{"name":"p"},"event":{"category":"file"}}"#
        #expect(Self.expectSameAlert([document], rule: rule, key: []))
        let alert = AlertBuilder.build(Self.match([document], key: []), rule: rule, detectionTime: Self.detectionTime)
        #expect(alert.document["y"] == .object([("z", .object([]))]))
    }

    @Test("non-ASCII key field names")
    func wideKeyField() throws {
        let rule = try Self.compiledRule(query: "sequence by `pr\u{E9}s` [any where true] [any where true]")
        #expect(!Self.expectSameAlert([#"{"a":1}"#, #"{"a":1}"#], rule: rule, key: [.string("x")]))
    }

    @Test("random documents match both ways")
    func randomDocuments() throws {
        let rule = try Self.compiledRule()
        var generator = SeededGenerator(seed: 11)
        var indexed = 0
        for _ in 0..<400 {
            let first = RandomDocument.object(depth: 0, using: &generator)
            let second = RandomDocument.mutate(first, using: &generator)
            let third = RandomDocument.mutate(second, using: &generator)
            let texts = [first, second, third].map { RandomDocument.text($0, using: &generator) }
            if Self.expectSameAlert(Array(texts.prefix(2)), rule: rule) { indexed += 1 }
            Self.expectSameAlert(texts, rule: rule)
        }
        #expect(indexed > 200)
    }
}

/// Random JSON documents from a small vocabulary, so that documents share keys and values often.
enum RandomDocument {
    indirect enum Value {
        case literal(String)
        case array([Value])
        case object([(String, Value)])
    }

    static let keys = ["a", "b", "c", "process", "entity_id", "host", "name", "event", "category", "user", "x.y", "kibana.k"]
    static let strings = [#""p""#, #""E1""#, #""h1""#, #""q\"\\""#, #""\u0007\n""#, "\"caf\u{E9}\"", "\"cafe\u{301}\"",
                          #""network""#, #""""#]
    static let scalars = ["0", "-3", "42", "true", "false", "null", "999999999999999999"]

    static func leaf(using generator: inout SeededGenerator) -> Value {
        Bool.random(using: &generator) ? .literal(strings.randomElement(using: &generator)!)
            : .literal(scalars.randomElement(using: &generator)!)
    }

    static func object(depth: Int, using generator: inout SeededGenerator) -> Value {
        let count = Int.random(in: 0...5, using: &generator)
        return .object((0..<count).map { _ in (keys.randomElement(using: &generator)!, value(depth: depth + 1, using: &generator)) })
    }

    static func value(depth: Int, using generator: inout SeededGenerator) -> Value {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0..<5 where depth < 4: return object(depth: depth, using: &generator)
        case 5 where depth < 4:
            return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in value(depth: depth + 1, using: &generator) })
        default: return leaf(using: &generator)
        }
    }

    /// Changes, drops or adds some members, reorders the rest, and sometimes swaps a kind.
    static func mutate(_ original: Value, using generator: inout SeededGenerator) -> Value {
        guard case .object(var members) = original else {
            return Int.random(in: 0..<4, using: &generator) == 0 ? leaf(using: &generator) : original
        }
        members = members.compactMap { key, member in
            switch Int.random(in: 0..<8, using: &generator) {
            case 0: return nil
            case 1: return (key, leaf(using: &generator))
            default: return (key, mutate(member, using: &generator))
            }
        }
        if Bool.random(using: &generator) {
            members.append((keys.randomElement(using: &generator)!, Self.value(depth: 2, using: &generator)))
        }
        members.shuffle(using: &generator)
        return .object(members)
    }

    /// Writes the value with random whitespace between tokens.
    static func text(_ value: Value, using generator: inout SeededGenerator) -> String {
        let space = [" ", "", "", "\n", "\t"].randomElement(using: &generator)!
        switch value {
        case .literal(let text): return text
        case .array(let items): return "[" + items.map { space + text($0, using: &generator) }.joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { key, member in
                "\"\(key)\"\(space):" + text(member, using: &generator)
            }.joined(separator: "," + space) + "}"
        }
    }
}
