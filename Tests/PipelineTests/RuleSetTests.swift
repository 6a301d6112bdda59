import Detection
import Foundation
import Pipeline
import Testing

@Suite("Rule set")
struct RuleSetTests {
    func rule(enabled: Bool?, exceptions: Int) throws -> Rule {
        var object: [String: Any] = [
            "rule_id": "r1", "name": "r1", "type": "eql",
            "query": #"process where process.name : "expand.exe""#,
            "exceptions_list": (0..<exceptions).map { ["id": "list-\($0)", "list_id": "l\($0)", "type": "detection"] },
        ]
        if let enabled { object["enabled"] = enabled }
        let data = try JSONSerialization.data(withJSONObject: object)
        return try RuleLoader.rule(from: JSONValue.parse(data), source: "r1.json", line: nil)
    }

    @Test("disabled rule does not run")
    func disabledRuleDoesNotRun() throws {
        let ruleSet = try RuleSet(rules: [rule(enabled: false, exceptions: 0)], defaultWindow: .seconds(540))
        #expect(ruleSet.rules.isEmpty)
        #expect(ruleSet.disabled.map(\.ruleID) == ["r1"])
    }

    @Test("enabled by default")
    func enabledByDefault() throws {
        let ruleSet = try RuleSet(rules: [rule(enabled: nil, exceptions: 0)], defaultWindow: .seconds(540))
        #expect(ruleSet.rules.count == 1)
        #expect(ruleSet.disabled.isEmpty)
    }

    @Test("exception lists are counted and reported")
    func exceptionListsReported() throws {
        let loaded = try rule(enabled: true, exceptions: 2)
        #expect(loaded.exceptionListCount == 2)
        let compiled = try CompiledRule(rule: loaded, fields: .init(), defaultWindow: .seconds(540))
        let lines = RuleCheck.summary(of: compiled)
        #expect(lines.contains { $0.contains("2 exception list(s)") })
    }
}
