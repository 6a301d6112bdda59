import EQL
import Events
import Foundation

/// An alert ready to publish: its document, its deterministic id and the message key.
public struct Alert: Sendable {
    public var id: String
    /// The join key values joined with `|`, used as the Kafka message key so that alerts of one entity stay in order.
    public var key: String
    public var ruleID: String
    /// The alert document as compact JSON UTF-8 bytes, the message value.
    public private(set) var bytes: [UInt8]

    public init(id: String, key: String, ruleID: String, document: JSONValue) {
        var bytes: [UInt8] = []
        document.write(to: &bytes)
        self.init(id: id, key: key, ruleID: ruleID, bytes: bytes)
    }

    init(id: String, key: String, ruleID: String, bytes: [UInt8]) {
        self.id = id
        self.key = key
        self.ruleID = ruleID
        self.bytes = bytes
    }

    /// The document as compact JSON text.
    public var json: String { String(decoding: bytes, as: UTF8.self) }

    /// The alert document, parsed from ``bytes``; setting it serialises it again.
    public var document: JSONValue {
        get { bytes.withUnsafeBytes { (try? JSONValue.parse(bytes: $0)) ?? .null } }
        set {
            bytes = []
            newValue.write(to: &bytes)
        }
    }
}

/// Builds Elastic Security-shaped alert documents from completed sequences.
public enum AlertBuilder {
    /// Returns the alert id: a hash of the rule id and the log coordinates of the matched events, so the same
    /// sequence read again after a restart gets the same id.
    ///
    /// An event whose join key field has several values completes one sequence per value, over the same events.
    /// For those, pass the join key text as `key`, so that each alert gets its own id.
    public static func alertID(ruleID: String, events: [StoredEvent], key: String? = nil) -> String {
        let coordinates = events.map { $0.coordinates.description }.joined(separator: ",")
        guard let key else { return SHA256.uuid("\(ruleID)|\(coordinates)") }
        return SHA256.uuid("\(ruleID)|\(coordinates)|\(key)")
    }

    /// Returns whether some matched event offers more than one join key, because a key field of its stage has
    /// several distinct values.
    static func hasSeveralKeys(_ match: SequenceMatch, rule compiled: CompiledRule) -> Bool {
        zip(match.events, compiled.stages).contains { event, stage in
            JoinKey.values(of: event.decoded, fields: stage.keys).count > 1
        }
    }

    /// Maximum length of the reason text in Unicode scalars, because the reason quotes event fields that input may
    /// make arbitrarily long. Counting characters would not bound it: one character can hold any number of
    /// combining marks.
    static let maxReasonLength = 1_024
    /// Maximum message key length in bytes, because the key is the join key value and input may make it arbitrarily
    /// long.
    static let maxKeyLength = 1_024

    /// Alerts larger than this many bytes are shrunk; Kafka's default `message.max.bytes` is 1,000,000.
    public static let defaultMaxBytes = 900_000

    /// Builds the alert for `match` of `rule`, detected at `detectionTime` (nanoseconds since the epoch).
    public static func build(_ match: SequenceMatch, rule compiled: CompiledRule, detectionTime: Int64,
                             maxBytes: Int = defaultMaxBytes) -> Alert {
        build(match, rule: compiled, detectionTime: detectionTime, maxBytes: maxBytes,
              parts: indexedParts(match, rule: compiled) ?? treeParts(match, rule: compiled))
    }

    /// The parts of an alert taken from its events: the reason, the shared members (with the join key fields they
    /// lack), and each event's body.
    struct EventParts {
        var reason: String
        /// Members written as `,"name":value` each.
        var members: [UInt8]
        var bodies: [[UInt8]]
    }

    static func build(_ match: SequenceMatch, rule compiled: CompiledRule, detectionTime: Int64, maxBytes: Int,
                      parts: EventParts) -> Alert {
        let rule = compiled.rule
        let joinedKey = match.key.map(keyText).joined(separator: "|")
        let id = alertID(ruleID: rule.ruleID, events: match.events,
                         key: hasSeveralKeys(match, rule: compiled) ? joinedKey : nil)
        let ancestors = match.events.map { event -> JSONValue in
            .object([
                ("id", .string(event.coordinates.description)),
                ("type", .string("event")),
                ("index", .string(event.coordinates.topic)),
                ("depth", .integer(0)),
                ("partition", .integer(Int64(event.coordinates.partition))),
                ("offset", .integer(event.coordinates.offset)),
            ])
        }
        // The members every alert of the rule shares are written once per rule and copied in.
        var output: [UInt8] = []
        output.reserveCapacity(compiled.alertRuleMembers.count + parts.members.count
            + parts.bodies.reduce(0) { $0 + $1.count + 128 } + 2_048)
        func member(_ name: String, _ value: JSONValue) { writeMember(name, value, to: &output) }
        output.append(contentsOf: #"{"@timestamp":"#.utf8)
        JSONValue.writeString(Timestamp.format(detectionTime), to: &output)
        member("event.kind", .string("signal"))
        member("kibana.alert.uuid", .string(id))
        output.append(UInt8(ascii: ","))
        output.append(contentsOf: compiled.alertRuleMembers)
        let reason = String(String.UnicodeScalarView(parts.reason.unicodeScalars.prefix(Self.maxReasonLength)))
        member("kibana.alert.reason", .string(reason))
        member("kibana.alert.original_time", .string(Timestamp.format(match.events[0].time)))
        member("kibana.alert.group.id", .string(SHA256.uuid("group|\(id)")))
        member("kibana.alert.ancestors", .array(ancestors))
        output.append(contentsOf: #","kibana.alert.workflow_status":"open","kibana.alert.status":"active","kibana.alert.depth":1"#.utf8)
        output.append(contentsOf: parts.members)
        output.append(contentsOf: #","eqlstream.events":["#.utf8)
        for (index, (event, body)) in zip(match.events, parts.bodies).enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: #"{"topic":"#.utf8)
            JSONValue.writeString(event.coordinates.topic, to: &output)
            output.append(contentsOf: #","partition":"#.utf8)
            output.append(contentsOf: String(event.coordinates.partition).utf8)
            output.append(contentsOf: #","offset":"#.utf8)
            output.append(contentsOf: String(event.coordinates.offset).utf8)
            output.append(contentsOf: #","event":"#.utf8)
            output.append(contentsOf: body)
            output.append(UInt8(ascii: "}"))
        }
        output.append(contentsOf: "]}".utf8)

        var key = joinedKey
        if key.utf8.count > Self.maxKeyLength {
            // A long key is cut to a prefix plus its hash, so it stays deterministic and distinct.
            key = String(decoding: Array(key.utf8.prefix(Self.maxKeyLength - 65)), as: UTF8.self) + "#"
                + SHA256.hex(SHA256.hash(Array(key.utf8)))
        }
        var alert = Alert(id: id, key: key, ruleID: rule.ruleID, bytes: output)
        if alert.bytes.count > maxBytes {
            // An alert the broker would reject is an alert lost. Keep the alert and the events' coordinates, and
            // replace the events' bodies, which a SOAR can fetch from the input topic by their offsets.
            let slim = match.events.map { event -> JSONValue in
                .object([
                    ("topic", .string(event.coordinates.topic)),
                    ("partition", .integer(Int64(event.coordinates.partition))),
                    ("offset", .integer(event.coordinates.offset)),
                    ("event", .object([("eqlstream.truncated", .bool(true)), ("bytes", .integer(Int64(event.raw.count)))])),
                ])
            }
            guard case .object(let members) = alert.document else { return alert }
            let essential = members.filter { $0.0.hasPrefix("kibana.") || $0.0 == "@timestamp" || $0.0 == "event.kind" }
            alert.document = .object(essential + [("eqlstream.truncated", .bool(true)), ("eqlstream.events", .array(slim))])
        }
        return alert
    }

    /// Reads each event into a tree of JSON values. This path takes every event, and ``indexedParts(_:rule:)``
    /// gives the same bytes faster for the events it accepts.
    static func treeParts(_ match: SequenceMatch, rule compiled: CompiledRule) -> EventParts {
        let sources = match.events.map { event -> JSONValue in
            event.raw.withUnsafeBytes { raw in
                do {
                    return try JSONValue.parse(bytes: raw, replacingUnpairedSurrogates: true)
                } catch {
                    // An event this reader cannot read is marked in the alert instead of carried as an empty object.
                    return .object([("eqlstream.unparsed", .string("\(error)")),
                                    ("bytes", .integer(Int64(event.raw.count)))])
                }
            }
        }
        var shared = intersection(of: sources)
        if case .object(let members) = shared {
            shared = .object(members.filter { !isAlertOwned($0.0) })
        }
        var extra: [(String, JSONValue)] = []
        if case .object(let sharedMembers) = shared {
            extra.append(contentsOf: sharedMembers)
        }
        // The join key fields always appear, even where the events spell them differently (nested or dotted keys),
        // and only once: a shared member may already contain the field, nested or under its dotted name.
        for (field, value) in zip(compiled.stages[0].keys, match.key)
        where lookup(shared, path: field.name) == nil && shared[field.name] == nil {
            extra.append((field.name, JSONValue(eql: value)))
        }
        var members: [UInt8] = []
        for (name, value) in extra { writeMember(name, value, to: &members) }
        let bodies = sources.map { source -> [UInt8] in
            var body: [UInt8] = []
            source.write(to: &body)
            return body
        }
        return EventParts(reason: reason(rule: compiled.rule, sources: sources), members: members, bodies: bodies)
    }

    /// Reads each event into a flat index of byte ranges and copies its values, or returns `nil` when an event or
    /// a join key field name is outside what ``CanonicalJSON`` accepts.
    static func indexedParts(_ match: SequenceMatch, rule compiled: CompiledRule) -> EventParts? {
        let keyFields = compiled.stages[0].keys
        // Field names are compared as bytes, which is exact for ASCII only.
        guard keyFields.allSatisfy({ $0.name.utf8.allSatisfy { $0 < 0x80 } }) else { return nil }
        var documents: [CanonicalJSON] = []
        documents.reserveCapacity(match.events.count)
        for event in match.events {
            guard let document = CanonicalJSON(event.raw) else { return nil }
            documents.append(document)
        }

        var members: [UInt8] = []
        _ = writeShared(documents, documents.map(\.root), topLevel: true, to: &members)
        for (field, value) in zip(keyFields, match.key) where !sharedContains(documents, field: field.name) {
            writeMember(field.name, JSONValue(eql: value), to: &members)
        }
        let bodies = documents.map { document -> [UInt8] in
            var body: [UInt8] = []
            body.reserveCapacity(document.bytes.count)
            document.write(document.root, to: &body)
            return body
        }

        let last = documents[documents.count - 1]
        var category: String?
        if let event = last.member(of: last.root, named: "event".utf8),
            let value = last.member(of: event, named: "category".utf8)
        {
            category = last.string(value)
            if category == nil, last.kind(value) == .array {
                category = last.children(of: value).compactMap { last.string($0.value) }.joined(separator: ", ")
            }
        }
        let text = reason(rule: compiled.rule, category: category) { path in
            for document in documents.reversed() {
                if let text = document.string(document.value(at: path)) { return text }
                if let text = document.string(document.member(of: document.root, named: path.utf8)) { return text }
            }
            return nil
        }
        return EventParts(reason: text, members: members, bodies: bodies)
    }

    /// Appends the members of objects `nodes` (one per document) whose values all documents share, as
    /// ``intersection(of:)`` finds them, and returns how many it wrote. Top-level members go out as
    /// `,"name":value` each, without the alert's own; nested ones as `"name":value` separated by commas.
    private static func writeShared(_ documents: [CanonicalJSON], _ nodes: [Int32], topLevel: Bool,
                                    to output: inout [UInt8]) -> Int {
        let first = documents[0]
        var written = 0
        for member in first.children(of: nodes[0]) {
            let key = first.key(member)
            if topLevel, isAlertOwned(String(decoding: key, as: UTF8.self)) { continue }
            guard let values = memberValues(documents, nodes, first: member.value, named: key) else { continue }
            let mark = output.count
            if topLevel || written > 0 { output.append(UInt8(ascii: ",")) }
            first.writeKey(member, to: &output)
            let objects = objectCount(documents, values)
            if documents.count == 1 {
                // One document is its own intersection, empty objects included.
                first.write(member.value, to: &output)
            } else if objects == documents.count {
                output.append(UInt8(ascii: "{"))
                guard writeShared(documents, values, topLevel: false, to: &output) > 0 else {
                    output.removeSubrange(mark...)
                    continue
                }
                output.append(UInt8(ascii: "}"))
            } else if objects == 0,
                documents.indices.dropFirst().allSatisfy({ first.equals(member.value, documents[$0], values[$0]) })
            {
                first.write(member.value, to: &output)
            } else {
                output.removeSubrange(mark...)
                continue
            }
            written += 1
        }
        return written
    }

    /// Returns whether the shared members that ``writeShared`` writes contain the join key field `name`: nested,
    /// following its parts split at dots, or as a top-level member named with the dots.
    private static func sharedContains(_ documents: [CanonicalJSON], field name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard let head = parts.first else { return true }
        if !isAlertOwned(String(head)), let nodes = values(documents, at: parts.map(\.utf8)),
            documents.count == 1 || sharesValue(documents, nodes)
        {
            return true
        }
        guard !isAlertOwned(name), let nodes = values(documents, at: [name.utf8]) else { return false }
        return documents.count == 1 || sharesValue(documents, nodes)
    }

    /// Returns each document's value at the member names `path`, followed from its root, or `nil` when a document
    /// lacks one.
    private static func values<Name: Collection<UInt8>>(_ documents: [CanonicalJSON], at path: [Name]) -> [Int32]? {
        var nodes = documents.map(\.root)
        for name in path {
            guard let first = documents[0].member(of: nodes[0], named: name),
                let next = memberValues(documents, nodes, first: first, named: name)
            else { return nil }
            nodes = next
        }
        return nodes
    }

    /// Returns the value of member `name` of each document's object in `nodes`, given the first document's as
    /// `first`, or `nil` when another document lacks the member.
    private static func memberValues<Name: Collection<UInt8>>(_ documents: [CanonicalJSON], _ nodes: [Int32],
                                                              first: Int32, named name: Name) -> [Int32]? {
        var values = nodes
        values[0] = first
        for index in documents.indices.dropFirst() {
            guard let value = documents[index].member(of: nodes[index], named: name) else { return nil }
            values[index] = value
        }
        return values
    }

    /// Returns how many of the values `nodes` (one per document) are objects.
    private static func objectCount(_ documents: [CanonicalJSON], _ nodes: [Int32]) -> Int {
        documents.indices.reduce(0) { $0 + (documents[$1].kind(nodes[$1]) == .object ? 1 : 0) }
    }

    /// Returns whether values `nodes` have a non-empty intersection.
    private static func sharesValue(_ documents: [CanonicalJSON], _ nodes: [Int32]) -> Bool {
        let first = documents[0]
        let objects = objectCount(documents, nodes)
        if objects == 0 {
            return documents.indices.dropFirst().allSatisfy { first.equals(nodes[0], documents[$0], nodes[$0]) }
        }
        guard objects == documents.count else { return false }
        return first.children(of: nodes[0]).contains { member in
            guard let values = memberValues(documents, nodes, first: member.value, named: first.key(member)) else {
                return false
            }
            return sharesValue(documents, values)
        }
    }

    /// Appends `,"name":value`.
    static func writeMember(_ name: String, _ value: JSONValue, to output: inout [UInt8]) {
        output.append(UInt8(ascii: ","))
        JSONValue.writeString(name, to: &output)
        output.append(UInt8(ascii: ":"))
        value.write(to: &output)
    }

    /// Returns whether an event's top-level member `name` is a field that the alert sets itself. Copying such a
    /// member from the events would repeat or override the alert's own: the event's time and category,
    /// `event.kind`, and anything under `kibana` or `eqlstream`, whether nested or written with dots.
    static func isAlertOwned(_ name: String) -> Bool {
        switch name {
        case "@timestamp", "event", "event.kind", "kibana", "eqlstream": return true
        default: return name.hasPrefix("kibana.") || name.hasPrefix("eqlstream.")
        }
    }

    /// Returns the members that every alert of `rule` carries unchanged, as JSON object members without braces:
    /// the rule's metadata and the alert's severity and risk score.
    static func ruleMembers(of rule: Rule) -> [UInt8] {
        let members: [(String, JSONValue)] = [
            ("kibana.alert.rule.name", .string(rule.name)),
            ("kibana.alert.rule.rule_id", .string(rule.ruleID)),
            ("kibana.alert.rule.uuid", .string(rule.id ?? rule.ruleID)),
            ("kibana.alert.rule.version", .integer(rule.version)),
            ("kibana.alert.rule.type", .string(rule.type)),
            ("kibana.alert.rule.description", .string(rule.description)),
            ("kibana.alert.rule.severity", .string(rule.severity)),
            ("kibana.alert.rule.risk_score", .integer(rule.riskScore)),
            ("kibana.alert.rule.tags", .array(rule.tags.map { .string($0) })),
            ("kibana.alert.rule.threat", rule.threat),
            ("kibana.alert.rule.references", .array(rule.references.map { .string($0) })),
            ("kibana.alert.rule.from", .string(rule.from)),
            ("kibana.alert.rule.interval", .string(rule.interval)),
            ("kibana.alert.rule.query", .string(rule.query)),
            ("kibana.alert.severity", .string(rule.severity)),
            ("kibana.alert.risk_score", .integer(rule.riskScore)),
        ]
        var output: [UInt8] = []
        JSONValue.object(members).write(to: &output)
        return Array(output.dropFirst().dropLast())
    }

    private static func lookup(_ document: JSONValue, path: String) -> JSONValue? {
        var current: JSONValue? = document
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }

    /// Returns the members that every document has with equal values, recursively. Elastic's sequence alert
    /// carries the same intersection of its building blocks.
    static func intersection(of documents: [JSONValue]) -> JSONValue {
        guard var result = documents.first else { return .object([]) }
        for document in documents.dropFirst() {
            result = intersect(result, document) ?? .object([])
        }
        return result
    }

    private static func intersect(_ lhs: JSONValue, _ rhs: JSONValue) -> JSONValue? {
        guard case .object(let left) = lhs, case .object = rhs else {
            return lhs == rhs ? lhs : nil
        }
        var members: [(String, JSONValue)] = []
        for (key, value) in left {
            guard let other = rhs[key], let common = intersect(value, other) else { continue }
            if case .object(let inner) = common, inner.isEmpty { continue }
            members.append((key, common))
        }
        return .object(members)
    }

    /// Writes a reason in the form Kibana gives EQL alerts.
    static func reason(rule: Rule, sources: [JSONValue]) -> String {
        var category: String?
        if let last = sources.last, let value = last["event"]?["category"] {
            category = value.stringValue ?? value.arrayValue?.compactMap(\.stringValue).joined(separator: ", ")
        }
        return reason(rule: rule, category: category) { path in
            for source in sources.reversed() {
                var current: JSONValue? = source
                for part in path.split(separator: ".") { current = current?[String(part)] }
                if let text = current?.stringValue { return text }
                if let dotted = source[path]?.stringValue { return dotted }
            }
            return nil
        }
    }

    /// Writes a reason from the last event's category and a lookup of string fields, latest event first.
    static func reason(rule: Rule, category: String?, field: (String) -> String?) -> String {
        var text = "\(category ?? "event") event"
        if let process = field("process.name") { text += " with process \(process)," }
        if let destination = field("destination.ip") { text += " destination \(destination)," }
        if let user = field("user.name") { text += " by \(user)" }
        if let host = field("host.name") { text += " on \(host)" }
        return text + " created \(rule.severity) alert \(rule.name)."
    }

    private static func keyText(_ value: EQLValue) -> String {
        switch value {
        case .null: return ""
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .string(let text): return text
        case .array(let items): return items.map(keyText).joined(separator: ",")
        }
    }
}

extension JSONValue {
    /// Converts an EQL field value to JSON.
    public init(eql value: EQLValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .integer(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map { JSONValue(eql: $0) })
        }
    }
}
