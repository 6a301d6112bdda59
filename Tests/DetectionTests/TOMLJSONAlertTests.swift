import EQL
import Events
import Foundation
import Testing

@testable import Detection

/// Runs the signed-binary rule from its TOML file and from its Kibana JSON over the same events and compares the
/// alerts, the way the service builds them: decoder, sequence matcher, then alert builder.
@Suite("TOML and JSON rules give the same alerts")
struct TOMLJSONAlertTests {
    /// The alert document keys that may differ between the two forms of the rule. The TOML file has no version
    /// (the rule gets 1, the JSON has Kibana's 100), its description is worded and wrapped differently, and its query
    /// has other line breaks, which the test compares separately after collapsing whitespace.
    static let keysThatDiffer: Set<String> = [
        "kibana.alert.rule.version", "kibana.alert.rule.description", "kibana.alert.rule.query",
    ]

    /// The rule fields that alerts carry and that must be identical.
    static let ruleFieldKeys = [
        "kibana.alert.rule.name", "kibana.alert.rule.rule_id", "kibana.alert.rule.severity",
        "kibana.alert.rule.risk_score", "kibana.alert.rule.threat", "kibana.alert.rule.tags",
        "kibana.alert.rule.references", "kibana.alert.rule.from", "kibana.alert.rule.interval",
    ]

    /// A fixed detection time, so that the alerts' `@timestamp` is the same for both runs.
    static let detectionTime: Int64 = 1_714_564_800_000_000_000

    /// Replays `file` in line order for `rule`, with offsets equal to line numbers minus one, and returns the alerts.
    static func alerts(for rule: Rule, file: String) throws -> [Alert] {
        let harness = try MatcherHarness(rules: [rule], settings: MatcherSettings(allowedLateness: .seconds(240)))
        var alerts: [Alert] = []
        for line in try corpusLines(file) {
            let outcome = try harness.feed(line.bytes, topic: file, offset: Int64(line.number - 1))
            guard case .processed(let matches) = outcome else {
                continue
            }
            for match in matches {
                alerts.append(AlertBuilder.build(match, rule: harness.rules[0], detectionTime: detectionTime))
            }
        }
        return alerts
    }

    /// Returns the members of an alert document without the keys that may differ.
    static func comparableMembers(of alert: Alert) -> [(String, JSONValue)] {
        guard case .object(let members) = alert.document else {
            return []
        }
        return members.filter { !keysThatDiffer.contains($0.0) }
    }

    static func ancestors(of alert: Alert) -> [String] {
        alert.document["kibana.alert.ancestors"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @Test("same alerts", arguments: ["labelled_cases.ndjson", "real_ecs_events.ndjson"])
    func sameAlerts(file: String) throws {
        let tomlRule = try #require(try RuleLoader.load(path: signedBinaryTOMLPath).first)
        let jsonRule = try loadSignedBinaryRule()
        let fromTOML = try Self.alerts(for: tomlRule, file: file)
        let fromJSON = try Self.alerts(for: jsonRule, file: file)

        #expect(fromTOML.count == fromJSON.count)
        if file == "labelled_cases.ndjson" {
            // The labelled cases contain three planted sequences, so the comparison below is not vacuous.
            #expect(fromJSON.count == 3)
        }
        #expect(fromTOML.map(\.id) == fromJSON.map(\.id))
        #expect(fromTOML.map(\.key) == fromJSON.map(\.key))
        #expect(fromTOML.map(Self.ancestors) == fromJSON.map(Self.ancestors))

        for (toml, json) in zip(fromTOML, fromJSON) {
            for key in Self.ruleFieldKeys {
                #expect(toml.document[key] != nil, "\(key)")
                #expect(toml.document[key] == json.document[key], "\(key)")
            }
            let tomlQuery = toml.document["kibana.alert.rule.query"]?.stringValue ?? ""
            let jsonQuery = json.document["kibana.alert.rule.query"]?.stringValue ?? ""
            #expect(collapsingWhitespace(tomlQuery) == collapsingWhitespace(jsonQuery))
            #expect(toml.document["kibana.alert.rule.version"] == .integer(1))
            #expect(json.document["kibana.alert.rule.version"] == .integer(100))

            // Everything else, including the matched events and their coordinates, serializes byte for byte alike.
            let tomlMembers = Self.comparableMembers(of: toml)
            let jsonMembers = Self.comparableMembers(of: json)
            #expect(tomlMembers.map(\.0) == jsonMembers.map(\.0))
            #expect(JSONValue.object(tomlMembers).serialized() == JSONValue.object(jsonMembers).serialized())
        }
    }
}
