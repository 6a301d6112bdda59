import EQL

/// Reads rules in the layout of Elastic's detection-rules repository: a `[metadata]` table, a `[rule]` table with
/// the same keys as a Kibana rule object, and `[[rule.threat]]` entries with `[rule.threat.tactic]` and
/// `[[rule.threat.technique]]` tables.
extension RuleLoader {
    /// The `[rule]` keys whose value must be a string.
    static let tomlStringKeys = [
        "rule_id", "id", "name", "description", "type", "language", "query", "severity", "from", "interval",
        "timestamp_override", "tiebreaker_field", "event_category_override",
    ]

    /// Builds the rule in a detection-rules TOML file.
    ///
    /// `[rule]` maps onto ``Rule`` as a Kibana rule object does, with the same defaults. The files carry no
    /// version, because the repository assigns versions when it packages rules, so the rule gets version 1 unless
    /// `[rule]` sets `version`. A `[[rule.threat]]` entry without techniques gets an empty `technique` list, which is
    /// how Kibana exports a tactic-only entry, so alerts carry the same threat for both forms of a rule.
    ///
    /// - Throws: ``RuleLoadError`` with the line and column of invalid TOML or of a value of the wrong type.
    static func tomlRule(_ text: String, source: String) throws -> Rule {
        let document: TOMLTable
        do {
            document = try TOMLParser.parse(text)
        } catch {
            throw RuleLoadError(file: source, line: error.line, column: error.column, "invalid TOML: \(error.message)")
        }
        func fail(_ node: TOMLNode?, _ message: String) -> RuleLoadError {
            RuleLoadError(file: source, line: node?.position.line, column: node?.position.column, message)
        }
        guard let ruleNode = document["rule"] else {
            throw RuleLoadError(file: source, "no [rule] table; a detection-rules file defines the rule under [rule]")
        }
        guard case .table(let table) = ruleNode.value else {
            throw fail(ruleNode, "\"rule\" must be a table, found \(ruleNode.value.kindDescription)")
        }
        let header = TOMLNode(value: ruleNode.value, position: table.position)
        try checkTOMLTypes(table, fail: fail)
        guard table["rule_id"] != nil else {
            throw fail(header, "the [rule] table has no rule_id")
        }
        guard let queryNode = table["query"], case .string(_, let queryPositions) = queryNode.value else {
            throw fail(header, "the [rule] table has no query")
        }
        for (key, allowed) in [("type", "eql"), ("language", "eql")] {
            if let node = table[key], case .string(let value, _) = node.value, value != allowed {
                throw fail(node, "\(key) is \"\(value)\", expected \"eql\"; only EQL rules can run here")
            }
        }
        var object = jsonValue(of: ruleNode.value)
        if case .object(var members) = object, let index = members.firstIndex(where: { $0.0 == "threat" }) {
            members[index].1 = withTechniqueLists(members[index].1)
            object = .object(members)
        }
        var rule = try self.rule(from: object, source: source, line: header.position.line)
        rule.queryPlacement = .mapped(queryPositions)
        return rule
    }

    /// Rejects a `[rule]` value whose type differs from what the Kibana rule object has for the same key.
    private static func checkTOMLTypes(_ table: TOMLTable, fail: (TOMLNode?, String) -> RuleLoadError) throws {
        for key in tomlStringKeys {
            guard let node = table[key] else {
                continue
            }
            guard case .string = node.value else {
                throw fail(node, "\(key) must be a string, found \(node.value.kindDescription)")
            }
        }
        for key in ["tags", "references"] {
            guard let node = table[key] else {
                continue
            }
            guard case .array(let items) = node.value else {
                throw fail(node, "\(key) must be an array of strings, found \(node.value.kindDescription)")
            }
            for item in items {
                guard case .string = item.value else {
                    throw fail(item, "\(key) must be an array of strings, found \(item.value.kindDescription)")
                }
            }
        }
        for key in ["risk_score", "version"] {
            guard let node = table[key] else {
                continue
            }
            guard case .integer = node.value else {
                throw fail(node, "\(key) must be an integer, found \(node.value.kindDescription)")
            }
        }
        if let node = table["threat"] {
            let elements: [TOMLNode]
            switch node.value {
            case .tableArray(let items), .array(let items):
                elements = items
            default:
                throw fail(
                    node, "threat must be an array of tables ([[rule.threat]]), found \(node.value.kindDescription)")
            }
            for element in elements {
                guard case .table = element.value else {
                    throw fail(element, "each threat entry must be a table, found \(element.value.kindDescription)")
                }
            }
        }
    }

    /// Converts a TOML value to JSON with object keys sorted, as ``JSONValue/parse(_:)`` orders them, so that alert
    /// documents serialize the same for a TOML rule and its Kibana JSON.
    static func jsonValue(of value: TOMLValue) -> JSONValue {
        switch value {
        case .string(let text, _):
            return .string(text)
        case .integer(let number):
            return .integer(number)
        case .float(let number):
            return .double(number)
        case .boolean(let flag):
            return .bool(flag)
        case .array(let items), .tableArray(let items):
            return .array(items.map { jsonValue(of: $0.value) })
        case .table(let table):
            let members = table.entries.map { ($0.key, jsonValue(of: $0.node.value)) }
            return .object(members.sorted { $0.0 < $1.0 })
        }
    }

    /// Adds `"technique": []` to each threat entry that has no techniques.
    private static func withTechniqueLists(_ threat: JSONValue) -> JSONValue {
        guard let entries = threat.arrayValue else {
            return threat
        }
        return .array(entries.map { entry in
            guard case .object(var members) = entry, entry["technique"] == nil else {
                return entry
            }
            members.append(("technique", .array([])))
            return .object(members.sorted { $0.0 < $1.0 })
        })
    }
}
