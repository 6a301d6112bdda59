import EQL
import Events
import Foundation
import Testing

@testable import Detection

@Suite("Alert builder")
struct AlertBuilderTests {
    /// Runs the signed-binary rule over a start and a network event and returns the harness and the match.
    static func signedBinaryMatch(
        start: String = processStart(at(0), entityID: "{42f11c3b-ce01-5c8f-0000-00102c412a11}"),
        network: String = networkConnection(at(10), entityID: "{42f11c3b-ce01-5c8f-0000-00102c412a11}")
    ) throws -> (harness: MatcherHarness, match: SequenceMatch) {
        let harness = try MatcherHarness.signedBinaryRule()
        try harness.feed(start, topic: "logs-endpoint", offset: 41)
        let matches = try harness.matches(network, topic: "logs-endpoint", offset: 42)
        let match = try #require(matches.first)
        return (harness, match)
    }

    static let detectionTime: EventTime = baseTime + 60 * 1_000_000_000

    /// Looks a dotted path up in a document whose members may be nested objects or dotted keys.
    static func lookup(_ document: JSONValue, _ path: String) -> JSONValue? {
        if let direct = document[path] {
            return direct
        }
        let parts = path.split(separator: ".").map(String.init)
        for length in stride(from: parts.count - 1, through: 1, by: -1) {
            let head = parts.prefix(length).joined(separator: ".")
            if let child = document[head], let found = lookup(child, parts.dropFirst(length).joined(separator: ".")) {
                return found
            }
        }
        return nil
    }

    @Test("rule metadata in the document")
    func ruleMetadata() throws {
        let (harness, match) = try Self.signedBinaryMatch()
        let rule = harness.rules[0].rule
        let alert = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime)
        let document = alert.document
        #expect(document["kibana.alert.rule.rule_id"] == .string(rule.ruleID))
        #expect(document["kibana.alert.rule.name"] == .string(rule.name))
        #expect(document["kibana.alert.rule.severity"] == .string("low"))
        #expect(document["kibana.alert.severity"] == .string("low"))
        #expect(document["kibana.alert.rule.risk_score"] == .integer(21))
        #expect(document["kibana.alert.risk_score"] == .integer(21))
        #expect(document["kibana.alert.rule.threat"] == rule.threat)
        #expect(document["kibana.alert.rule.query"] == .string(rule.query))
        #expect(document["kibana.alert.uuid"] == .string(alert.id))
        #expect(document["event.kind"] == .string("signal"))
        #expect(alert.ruleID == rule.ruleID)
    }

    @Test("alert times")
    func alertTimes() throws {
        let (harness, match) = try Self.signedBinaryMatch()
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        #expect(document["@timestamp"] == .string(Timestamp.format(Self.detectionTime)))
        #expect(document["kibana.alert.original_time"] == .string(at(0)))
    }

    @Test("ancestors carry topic and offsets")
    func ancestors() throws {
        let (harness, match) = try Self.signedBinaryMatch()
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        let ancestors = try #require(document["kibana.alert.ancestors"]?.arrayValue)
        #expect(ancestors.count == 2)
        #expect(ancestors.map { $0["offset"] } == [.integer(41), .integer(42)])
        #expect(ancestors.map { $0["index"] } == [.string("logs-endpoint"), .string("logs-endpoint")])
        #expect(ancestors.first?["id"] == .string("logs-endpoint/0@41"))
    }

    @Test("join key field equals the shared key")
    func joinKeyField() throws {
        let (harness, match) = try Self.signedBinaryMatch()
        let alert = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime)
        let key = try #require(match.key.first)
        #expect(Self.lookup(alert.document, "process.entity_id") == JSONValue(eql: key))
        #expect(alert.key == "{42f11c3b-ce01-5c8f-0000-00102c412a11}")
    }

    @Test("join key added for dotted events")
    func joinKeyFieldDotted() throws {
        let id = "{42f11c3b-ce01-5c8f-0000-00102c412a16}"
        let network =
            #"{"@timestamp":"\#(at(10))","event.category":"network","process.name":"expand.exe","#
            + #""process.entity_id":"\#(id)","destination.ip":"8.8.8.8"}"#
        let (harness, match) = try Self.signedBinaryMatch(start: processStart(at(0), entityID: id), network: network)
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        #expect(document["process.entity_id"] == .string(id))
    }

    @Test("dotted join key written once", arguments: [false, true])
    func dottedJoinKeyOnce(treePath: Bool) throws {
        let id = "{42f11c3b-ce01-5c8f-0000-00102c412a17}"
        let start = #"{"@timestamp":"\#(at(0))","event.category":"process","event.type":"start","#
            + #""process.name":"expand.exe","process.entity_id":"\#(id)"}"#
        let network = #"{"@timestamp":"\#(at(10))","event.category":"network","process.name":"expand.exe","#
            + #""process.entity_id":"\#(id)","destination.ip":"8.8.8.8"}"#
        let (harness, match) = try Self.signedBinaryMatch(start: start, network: network)
        let rule = harness.rules[0]
        let parts = treePath ? AlertBuilder.treeParts(match, rule: rule) : try #require(AlertBuilder.indexedParts(match, rule: rule))
        let alert = AlertBuilder.build(match, rule: rule, detectionTime: Self.detectionTime, maxBytes: AlertBuilder.defaultMaxBytes,
                                       parts: parts)
        // Once among the shared members, and once in each event's copy.
        let member = #""process.entity_id":"\#(id)""#
        #expect(alert.json.components(separatedBy: member).count - 1 == 1 + match.events.count)
    }

    @Test("reason bounded in scalars")
    func reasonBoundedInScalars() throws {
        // One character of a letter and 5,000 combining accents.
        let name = "a" + String(repeating: "\u{301}", count: 5_000)
        let network = networkConnection(at(10), entityID: "{42f11c3b-ce01-5c8f-0000-00102c412a11}")
            .replacingOccurrences(of: #""host":{"name":"ws-1"}"#, with: #""host":{"name":"\#(name)"}"#)
        let (harness, match) = try Self.signedBinaryMatch(network: network)
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        let reason = try #require(document["kibana.alert.reason"]?.stringValue)
        #expect(reason.unicodeScalars.count <= AlertBuilder.maxReasonLength)
        #expect(reason.unicodeScalars.count > 100)
    }

    static func eventWith(_ time: String, _ category: String, _ extra: String) -> String {
        #"{"@timestamp":"\#(time)","event":{"category":"\#(category)","type":"start"},"#
            + #""process":{"name":"expand.exe","entity_id":"{42f11c3b-ce01-5c8f-0000-00102c412a18}"},"#
            + #""destination":{"ip":"8.8.8.8"},\#(extra)}"#
    }

    @Test("text compares as bytes", arguments: [false, true])
    func textComparesAsBytes(treePath: Bool) throws {
        // A precomposed and a decomposed "é": canonically equivalent text, different code points.
        let start = Self.eventWith(at(0), "process", #""word":"caf\#u{E9}","same":"caf\#u{E9}""#)
        let network = Self.eventWith(at(10), "network", #""word":"cafe\#u{301}","same":"caf\#u{E9}""#)
        let (harness, match) = try Self.signedBinaryMatch(start: start, network: network)
        let rule = harness.rules[0]
        let parts = treePath ? AlertBuilder.treeParts(match, rule: rule) : try #require(AlertBuilder.indexedParts(match, rule: rule))
        let document = AlertBuilder.build(match, rule: rule, detectionTime: Self.detectionTime,
                                          maxBytes: AlertBuilder.defaultMaxBytes, parts: parts).document
        #expect(document["word"] == nil)
        #expect(document["same"] == .string("caf\u{E9}"))
    }

    @Test("keys and numbers compare exactly")
    func keysAndNumbersCompareExactly() throws {
        // Two keys that differ only in normalization, and a large integer against the nearest double.
        let members = #""both":{"caf\#u{E9}":1,"cafe\#u{301}":2}"#
        let start = Self.eventWith(at(0), "process", members + #","n":9007199254740993"#)
        let network = Self.eventWith(at(10), "network", members + #","n":9007199254740992.0"#)
        let (harness, match) = try Self.signedBinaryMatch(start: start, network: network)
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        #expect(document["n"] == nil)
        guard case .object(let both)? = document["both"] else {
            Issue.record("the shared object is missing")
            return
        }
        #expect(both.count == 2)
    }

    @Test("multi-valued key alert ids")
    func multiValuedKeyIDs() throws {
        let harness = try MatcherHarness(query: "sequence by process.entity_id [any where true] [any where true]")
        let ids = #"["a","b","a"]"#
        try harness.feed(#"{"@timestamp":"\#(at(0))","process":{"entity_id":\#(ids)}}"#)
        let matches = try harness.matches(#"{"@timestamp":"\#(at(10))","process":{"entity_id":\#(ids)}}"#)
        // The repeated "a" joins the same sequence, so two sequences complete, not three.
        #expect(matches.count == 2)
        let alerts = matches.map { AlertBuilder.build($0, rule: harness.rules[0], detectionTime: Self.detectionTime) }
        #expect(Set(alerts.map(\.key)) == ["a", "b"])
        #expect(Set(alerts.map(\.id)).count == 2)
        // A single-valued key keeps the id computed from the rule and the coordinates alone.
        let (single, match) = try Self.signedBinaryMatch()
        let alert = AlertBuilder.build(match, rule: single.rules[0], detectionTime: Self.detectionTime)
        #expect(alert.id == AlertBuilder.alertID(ruleID: single.rules[0].rule.ruleID, events: match.events))
    }

    @Test("fields common to all events are copied")
    func sharedFields() throws {
        let (harness, match) = try Self.signedBinaryMatch()
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        #expect(Self.lookup(document, "host.name") == .string("ws-1"))
        #expect(Self.lookup(document, "process.name") == .string("expand.exe"))
        #expect(Self.lookup(document, "destination.ip") == nil)
        #expect(document["event"] == nil)
    }

    @Test("matched raw events are attached")
    func matchedEvents() throws {
        let start = processStart(at(0), entityID: "E1")
        let network = networkConnection(at(10), entityID: "E1")
        let (harness, match) = try Self.signedBinaryMatch(start: start, network: network)
        let document = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime).document
        let events = try #require(document["eqlstream.events"]?.arrayValue)
        #expect(events.count == 2)
        #expect(events.map { $0["offset"] } == [.integer(41), .integer(42)])
        #expect(events.map { $0["topic"] } == [.string("logs-endpoint"), .string("logs-endpoint")])
        #expect(events.first?["event"] == (try JSONValue.parse(Data(start.utf8))))
        #expect(events.last?["event"] == (try JSONValue.parse(Data(network.utf8))))
    }

    @Test("serialized document parses back")
    func serializedRoundTrip() throws {
        let (harness, match) = try Self.signedBinaryMatch()
        let alert = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime)
        let parsed = try JSONValue.parse(Data(alert.json.utf8))
        #expect(parsed == alert.document)
    }

    @Test("strings are escaped as JSON requires")
    func stringEscapes() throws {
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let text = #"C:\Windows\"quoted" é 😀 "# + controls
        let json = JSONValue.object([("k", .string(text))]).serialized()
        #expect(json.hasPrefix(#"{"k":"C:\\Windows\\\"quoted\" é 😀 \u0000\u0001"#))
        #expect(json.contains(#"\b\t\n\u000b\u000c\r\u000e"#.replacingOccurrences(of: #"\b"#, with: #"\u0008"#)))
        #expect(json.hasSuffix(#"\u001f"}"#))
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(decoded?["k"] == text)
    }

    @Test("the byte reader keeps non-ASCII text and rejects invalid UTF-8")
    func byteReaderText() throws {
        let text = Array(#"{"a":"plain","b":"caf\u00e9 é 😀","c":["x"]}"#.utf8)
        let parsed = try text.withUnsafeBytes { try JSONValue.parse(bytes: $0) }
        #expect(parsed == (try JSONValue.parse(Data(text))))
        #expect(parsed["b"]?.stringValue == "café é 😀")
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80]] {
            let bytes = Array(#"{"a":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(throws: JSONParseError.self) { try bytes.withUnsafeBytes { try JSONValue.parse(bytes: $0) } }
        }
    }

    @Test("event fields cannot override alert fields")
    func spoofedMembers() throws {
        let id = "{42f11c3b-ce01-5c8f-0000-00102c412a11}"
        func spoofed(_ json: String) -> String {
            String(json.dropLast()) + #","kibana.alert.uuid":"spoofed","event.kind":"evil","kibana":{"alert":{"status":"x"}},"eqlstream.events":[]}"#
        }
        let (harness, match) = try Self.signedBinaryMatch(
            start: spoofed(processStart(at(0), entityID: id)), network: spoofed(networkConnection(at(10), entityID: id)))
        let alert = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime)
        // The events' own bodies, copied whole under eqlstream.events, keep the members; the alert's do not repeat.
        let members = try #require(alert.json.components(separatedBy: #""eqlstream.events":"#).first)
        #expect(members.components(separatedBy: #""kibana.alert.uuid":"#).count == 2)
        #expect(members.components(separatedBy: #""event.kind":"#).count == 2)
        #expect(alert.document["kibana.alert.uuid"]?.stringValue == alert.id)
        #expect(alert.document["event.kind"]?.stringValue == "signal")
        #expect(alert.document["kibana"] == nil)
        #expect(alert.document["eqlstream.events"]?.arrayValue?.count == 2)
    }

    @Test("an unpaired surrogate in an event becomes U+FFFD in the alert")
    func unpairedSurrogate() throws {
        let id = "{42f11c3b-ce01-5c8f-0000-00102c412a11}"
        let network = String(networkConnection(at(10), entityID: id).dropLast()) + #","note":"a\ud800b\udc00c\ud800\u0041"}"#
        let (harness, match) = try Self.signedBinaryMatch(network: network)
        let alert = AlertBuilder.build(match, rule: harness.rules[0], detectionTime: Self.detectionTime)
        let events = try #require(alert.document["eqlstream.events"]?.arrayValue)
        #expect(events.last?["event"]?["note"]?.stringValue == "a\u{FFFD}b\u{FFFD}c\u{FFFD}A")
        #expect(events.last?["event"]?["process"] != nil)
        // The strict reader, which alerts do not use for events, still rejects the escape.
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes: Array(network.utf8)) }
    }

    @Test("same coordinates give the same id")
    func deterministicID() throws {
        let (firstHarness, firstMatch) = try Self.signedBinaryMatch()
        let (secondHarness, secondMatch) = try Self.signedBinaryMatch()
        let first = AlertBuilder.build(firstMatch, rule: firstHarness.rules[0], detectionTime: Self.detectionTime)
        let second = AlertBuilder.build(
            secondMatch, rule: secondHarness.rules[0], detectionTime: Self.detectionTime + 1_000_000_000)
        #expect(first.id == second.id)
        #expect(first.document["kibana.alert.group.id"] == second.document["kibana.alert.group.id"])
    }

    @Test("different offset gives a different id")
    func idDependsOnOffset() throws {
        let (_, match) = try Self.signedBinaryMatch()
        let original = AlertBuilder.alertID(ruleID: "R1", events: match.events)
        let last = try #require(match.events.last)
        var moved = last.coordinates
        moved.offset += 1
        let shifted = StoredEvent(
            coordinates: moved, time: last.time, arrival: last.arrival, maxTimeBefore: last.maxTimeBefore,
            raw: last.raw, decoded: last.decoded)
        let changed = AlertBuilder.alertID(ruleID: "R1", events: [match.events[0], shifted])
        #expect(original != changed)
        #expect(AlertBuilder.alertID(ruleID: "R2", events: match.events) != original)
        #expect(AlertBuilder.alertID(ruleID: "R1", events: match.events) == original)
    }

    @Test("alert id is a version 5 UUID")
    func idFormat() throws {
        let (_, match) = try Self.signedBinaryMatch()
        let id = AlertBuilder.alertID(ruleID: "R1", events: match.events)
        let groups = id.split(separator: "-", omittingEmptySubsequences: false)
        #expect(groups.map(\.count) == [8, 4, 4, 4, 12])
        #expect(groups[2].first == "5")
        #expect(groups[3].first.map { "89ab".contains($0) } == true)
        #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
    }

    @Test("SHA-256 test vectors", arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256Vectors(message: String, digest: String) {
        #expect(SHA256.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test("SHA-256 of one million a")
    func sha256Million() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(SHA256.hash(message)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
