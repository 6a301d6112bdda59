import Foundation
import Testing

@testable import Detection

@Suite("Rule loader")
struct RuleLoaderTests {
    /// Writes `text` to `name` in `folder` and returns the file's path.
    @discardableResult
    func write(_ text: String, to name: String, in folder: URL) throws -> String {
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// Returns the error that loading `path` throws, or `nil` when it loads.
    func loadError(_ path: String) -> RuleLoadError? {
        do {
            _ = try RuleLoader.load(path: path)
            return nil
        } catch let error as RuleLoadError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    static let minimalRule = #"{"rule_id":"R1","type":"eql","language":"eql","query":"process where true"}"#

    @Test("signed-binary rule metadata")
    func signedBinaryRule() throws {
        let rules = try RuleLoader.load(path: signedBinaryRulePath)
        #expect(rules.count == 1)
        let rule = try #require(rules.first)
        #expect(rule.name == "Network Connection via Signed Binary")
        #expect(rule.ruleID == "63e65ec3-43b1-45b0-8f2d-45b34291dc44")
        #expect(rule.type == "eql")
        #expect(rule.language == "eql")
        #expect(rule.severity == "low")
        #expect(rule.riskScore == 21)
        #expect(rule.version == 100)
        #expect(rule.from == "now-9m")
        #expect(rule.interval == "5m")
        #expect(rule.lookback == .seconds(540))
        #expect(rule.intervalSpan == .seconds(300))
        #expect(rule.tags == ["Elastic", "Host", "Windows", "Threat Detection", "Defense Evasion"])
        #expect(rule.references.count == 1)
        #expect(rule.query.hasPrefix("sequence by process.entity_id"))
        #expect(rule.source == signedBinaryRulePath)
        #expect(rule.id == nil)
    }

    @Test("signed-binary rule threat")
    func signedBinaryRuleThreat() throws {
        let rule = try loadSignedBinaryRule()
        let threat = try #require(rule.threat.arrayValue)
        #expect(threat.count == 2)
        let tacticIDs = threat.compactMap { $0["tactic"]?["id"]?.stringValue }
        #expect(tacticIDs == ["TA0005", "TA0002"])
        let techniqueIDs = threat.first?["technique"]?.arrayValue?.compactMap { $0["id"]?.stringValue }
        #expect(techniqueIDs == ["T1218"])
        #expect(threat.first?["framework"]?.stringValue == "MITRE ATT&CK")
    }

    @Test("folder loads JSON and TOML rule files")
    func sharedRulesFolder() throws {
        // The folder contains a README, which the loader skips, and the same rule as JSON and as TOML. Both files
        // are read, so the rule_id they share is rejected.
        let error = try #require(loadError(rulesFolder.path))
        #expect(error.file == signedBinaryTOMLPath)
        #expect(error.message.contains(signedBinaryRulePath))
        #expect(error.message.contains("63e65ec3-43b1-45b0-8f2d-45b34291dc44"))
    }

    @Test("folder loads files in name order")
    func folderOrder() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write(#"{"rule_id":"second","query":"process where true"}"#, to: "b.json", in: folder)
        try write(#"{"rule_id":"first","query":"process where true"}"#, to: "a.json", in: folder)
        try write(#"{"rule_id":"third","query":"network where true"}"# + "\n", to: "c.ndjson", in: folder)
        try write("not a rule", to: "notes.txt", in: folder)
        let rules = try RuleLoader.load(path: folder.path)
        #expect(rules.map(\.ruleID) == ["first", "second", "third"])
        #expect(rules.first?.source == folder.appendingPathComponent("a.json").path)
    }

    @Test("missing fields take Kibana defaults")
    func defaults() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(#"{"rule_id":"bare","query":"process where true"}"#, to: "bare.json", in: folder)
        let rule = try #require(try RuleLoader.load(path: path).first)
        #expect(rule.name == "bare")
        #expect(rule.type == "eql")
        #expect(rule.severity == "low")
        #expect(rule.riskScore == 21)
        #expect(rule.from == "now-6m")
        #expect(rule.interval == "5m")
        #expect(rule.tags.isEmpty)
    }

    @Test("out-of-range risk_score and version take defaults")
    func outOfRangeNumbers() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases: [(json: String, riskScore: Int64, version: Int64)] = [
            (#"{"rule_id":"r-1","query":"process where true","risk_score":7.4e41}"#, 21, 1),
            (#"{"rule_id":"r-2","query":"process where true","risk_score":9223372036854775808.0}"#, 21, 1),
            (#"{"rule_id":"r-3","query":"process where true","version":-1e300}"#, 21, 1),
            (#"{"rule_id":"r-4","query":"process where true","risk_score":47.0,"version":2.5}"#, 47, 1),
        ]
        for (index, testCase) in cases.enumerated() {
            let path = try write(testCase.json, to: "rule-\(index).json", in: folder)
            let rule = try #require(try RuleLoader.load(path: path).first)
            #expect(rule.riskScore == testCase.riskScore, "case \(index): \(testCase.json)")
            #expect(rule.version == testCase.version, "case \(index): \(testCase.json)")
        }
    }

    @Test("fuzz input with a huge risk_score")
    func fuzzHugeRiskScore() throws {
        // The rule-json fuzz target found this input: the loader trapped converting the risk_score double to an
        // integer. It now gets past risk_score and is rejected for its tags.
        let json =
            #"{"rule_id":"r-1","name":"one","type":"eql","language":"eql","query":"prtiebrea:ker_field5m","#
            + #""risk_score":744444444444444444444444444444444444444443,"version":3,"tags":2,"missing_rules":[]}"#
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(json, to: "fuzz.json", in: folder)
        let error = try #require(loadError(path))
        #expect(error.message.contains(#""tags" must be an array of strings"#), "\(error)")
    }

    @Test("missing path is rejected")
    func missingPath() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("absent.json").path
        let error = try #require(loadError(path))
        #expect(error.file == path)
        #expect(error.description.contains(path))
    }

    @Test("empty folder is rejected")
    func emptyFolder() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try write("# rules", to: "README.md", in: folder)
        let error = try #require(loadError(folder.path))
        #expect(error.file == folder.path)
    }

    @Test("invalid JSON is rejected with the file")
    func invalidJSON() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(#"{"rule_id": "R1", "query": "process where true""#, to: "broken.json", in: folder)
        let error = try #require(loadError(path))
        #expect(error.file == path)
        #expect(error.line == 1)
        #expect(error.description.hasPrefix(path + ":1: "))
        #expect(error.message.contains("invalid JSON"))
    }

    @Test("invalid export line number")
    func invalidExportLine() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(Self.minimalRule + "\n{\"rule_id\": \n", to: "export.ndjson", in: folder)
        let error = try #require(loadError(path))
        #expect(error.file == path)
        #expect(error.line == 2)
    }

    @Test("non-EQL rule type is rejected")
    func nonEQLType() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(
            #"{"rule_id":"kql-rule","type":"query","language":"kuery","query":"process.name: expand.exe"}"#,
            to: "kql.json", in: folder)
        let error = try #require(loadError(path))
        #expect(error.file == path)
        #expect(error.message.contains("kql-rule"))
        #expect(error.message.contains("\"query\""))
    }

    @Test("non-EQL language is rejected")
    func nonEQLLanguage() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(
            #"{"rule_id":"esql-rule","type":"eql","language":"esql","query":"from logs-*"}"#, to: "esql.json", in: folder)
        let error = try #require(loadError(path))
        #expect(error.file == path)
        #expect(error.message.contains("esql"))
    }

    @Test("rule without rule_id or query is rejected")
    func missingRequiredFields() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let noID = try write(#"{"query":"process where true"}"#, to: "no-id.json", in: folder)
        let noQuery = try write(#"{"rule_id":"R9"}"#, to: "no-query.json", in: folder)
        #expect(loadError(noID)?.file == noID)
        #expect(loadError(noQuery)?.file == noQuery)
        #expect(loadError(noQuery)?.message.contains("R9") == true)
    }

    @Test("field of the wrong type is rejected")
    func wrongFieldType() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(
            #"{"rule_id":"R1","query":"process where true","tags":["a",1]}"#, to: "tags.json", in: folder)
        let error = try #require(loadError(path))
        #expect(error.file == path)
        #expect(error.message.contains("tags"))
    }

    @Test("duplicate rule_id names both files")
    func duplicateRuleID() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try write(Self.minimalRule, to: "a.json", in: folder)
        let second = try write(Self.minimalRule, to: "b.json", in: folder)
        let error = try #require(loadError(folder.path))
        #expect(error.file == second)
        #expect(error.message.contains(first))
        #expect(error.message.contains("R1"))
    }

    @Test("Kibana export with a summary line")
    func kibanaExport() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ruleText = try String(contentsOfFile: signedBinaryRulePath, encoding: .utf8)
        // Kibana writes each rule on one line, then a summary object.
        let compact = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(with: Data(ruleText.utf8)), options: [.sortedKeys])
        let summary =
            #"{"exported_count":1,"exported_rules_count":1,"missing_rules":[],"missing_rules_count":0,"#
            + #""exported_exception_list_count":0,"exported_exception_list_item_count":0}"#
        let export = String(decoding: compact, as: UTF8.self) + "\n" + summary + "\n"
        let path = try write(export, to: "rules_export.ndjson", in: folder)
        let rules = try RuleLoader.load(path: path)
        #expect(rules.count == 1)
        let rule = try #require(rules.first)
        let original = try loadSignedBinaryRule()
        #expect(rule.ruleID == original.ruleID)
        #expect(rule.query == original.query)
        #expect(rule.threat == original.threat)
        #expect(rule.source == path)
    }

    @Test("Kibana export with several rules")
    func kibanaExportSeveral() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let export = [
            #"{"rule_id":"R1","id":"saved-1","query":"process where true"}"#,
            "",
            #"{"rule_id":"R2","query":"network where true"}"#,
            #"{"exported_count":2,"missing_rules":[]}"#,
        ].joined(separator: "\n")
        let path = try write(export, to: "export.ndjson", in: folder)
        let rules = try RuleLoader.load(path: path)
        #expect(rules.map(\.ruleID) == ["R1", "R2"])
        #expect(rules.first?.id == "saved-1")
    }
}
