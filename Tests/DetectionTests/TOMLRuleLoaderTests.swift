import EQL
import Foundation
import Testing

@testable import Detection

/// The signed-binary rule in detection-rules TOML form.
let signedBinaryTOMLPath: String = rulesFolder.appendingPathComponent("network-connection-via-signed-binary.toml").path

/// Returns `query` with each run of whitespace turned into one space and the ends trimmed.
func collapsingWhitespace(_ query: String) -> String {
    query.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
}

@Suite("TOML rule loader")
struct TOMLRuleLoaderTests {
    /// Writes `text` to `name` in a new temporary folder and returns the folder and the file's path.
    func writeRule(_ text: String, name: String = "rule.toml") throws -> (folder: URL, path: String) {
        let folder = try makeTemporaryFolder()
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (folder, file.path)
    }

    /// Returns the error that loading the TOML `text` throws, or `nil` when it loads.
    func loadError(_ text: String) throws -> RuleLoadError? {
        let (folder, path) = try writeRule(text)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            _ = try RuleLoader.load(path: path)
            return nil
        } catch let error as RuleLoadError {
            #expect(error.file == path)
            return error
        }
    }

    static let minimalRule = """
        [metadata]
        maturity = "production"

        [rule]
        rule_id = "R1"
        name = "Minimal"
        type = "eql"
        language = "eql"
        query = '''
        process where true
        '''
        """

    @Test("signed-binary TOML matches its JSON")
    func signedBinaryMatchesJSON() throws {
        let toml = try #require(try RuleLoader.load(path: signedBinaryTOMLPath).first)
        let json = try loadSignedBinaryRule()
        #expect(toml.ruleID == json.ruleID)
        #expect(toml.name == json.name)
        #expect(toml.type == "eql")
        #expect(toml.language == "eql")
        #expect(toml.severity == json.severity)
        #expect(toml.riskScore == json.riskScore)
        #expect(toml.tags == json.tags)
        #expect(toml.references == json.references)
        #expect(toml.from == json.from)
        #expect(toml.interval == json.interval)
        #expect(toml.threat == json.threat)
        #expect(toml.threat.serialized() == json.threat.serialized())
        #expect(collapsingWhitespace(toml.query) == collapsingWhitespace(json.query))
        #expect(toml.source == signedBinaryTOMLPath)
        // The TOML file has no version; the JSON export has Kibana's.
        #expect(toml.version == 1)
        #expect(json.version == 100)
    }

    @Test("multi-line description and query")
    func multilineStrings() throws {
        let rule = try #require(try RuleLoader.load(path: signedBinaryTOMLPath).first)
        #expect(rule.description.hasPrefix("Binaries signed with trusted digital certificates"))
        #expect(rule.description.contains("'live off the land'"))
        #expect(rule.description.hasSuffix("signature validation.\n"))
        #expect(rule.query.hasPrefix("sequence by process.entity_id\n  [process where"))
        #expect(rule.query.hasSuffix("\"FF00::/8\")]\n"))
    }

    @Test("version from the file")
    func versionFromFile() throws {
        let (folder, path) = try writeRule(Self.minimalRule + "\nversion = 7\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = try #require(try RuleLoader.load(path: path).first)
        #expect(rule.version == 7)
    }

    @Test("missing fields take Kibana defaults")
    func defaults() throws {
        let (folder, path) = try writeRule(Self.minimalRule)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = try #require(try RuleLoader.load(path: path).first)
        #expect(rule.ruleID == "R1")
        #expect(rule.name == "Minimal")
        #expect(rule.severity == "low")
        #expect(rule.riskScore == 21)
        #expect(rule.from == "now-6m")
        #expect(rule.interval == "5m")
        #expect(rule.version == 1)
        #expect(rule.tags.isEmpty)
        #expect(rule.threat == .array([]))
    }

    @Test("threat with subtechniques")
    func threatWithSubtechniques() throws {
        let text = Self.minimalRule + """

            [[rule.threat]]
            framework = "MITRE ATT&CK"
            [[rule.threat.technique]]
            id = "T1059"
            name = "Command and Scripting Interpreter"
            reference = "https://attack.mitre.org/techniques/T1059/"
            [[rule.threat.technique.subtechnique]]
            id = "T1059.001"
            name = "PowerShell"
            reference = "https://attack.mitre.org/techniques/T1059/001/"

            [rule.threat.tactic]
            id = "TA0002"
            name = "Execution"
            reference = "https://attack.mitre.org/tactics/TA0002/"
            """
        let (folder, path) = try writeRule(text)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = try #require(try RuleLoader.load(path: path).first)
        let expected = #"[{"framework":"MITRE ATT&CK","tactic":{"id":"TA0002","name":"Execution","#
            + #""reference":"https://attack.mitre.org/tactics/TA0002/"},"technique":[{"id":"T1059","#
            + #""name":"Command and Scripting Interpreter","reference":"https://attack.mitre.org/techniques/T1059/","#
            + #""subtechnique":[{"id":"T1059.001","name":"PowerShell","#
            + #""reference":"https://attack.mitre.org/techniques/T1059/001/"}]}]}]"#
        #expect(rule.threat.serialized() == expected)
    }

    @Test("folder loads TOML beside JSON")
    func folderWithTOML() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try #"{"rule_id":"first","query":"process where true"}"#.write(
            to: folder.appendingPathComponent("a.json"), atomically: true, encoding: .utf8)
        try Self.minimalRule.write(to: folder.appendingPathComponent("b.toml"), atomically: true, encoding: .utf8)
        try "notes".write(to: folder.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let rules = try RuleLoader.load(path: folder.path)
        #expect(rules.map(\.ruleID) == ["first", "R1"])
        #expect(rules.last?.source == folder.appendingPathComponent("b.toml").path)
    }

    @Test("invalid TOML names file, line and column")
    func invalidTOML() throws {
        let error = try #require(try loadError("[rule]\nrule_id = \"R1\nquery = 'x'\n"))
        #expect(error.line == 2)
        #expect(error.column == 14)
        #expect(error.message.hasPrefix("invalid TOML: "))
        #expect(error.message.contains("expected a closing `\"`"))
        #expect(error.description.hasPrefix(error.file + ":2:14: invalid TOML"))
    }

    @Test("missing rule table")
    func missingRuleTable() throws {
        let error = try #require(try loadError("[metadata]\nmaturity = \"production\"\n"))
        #expect(error.line == nil)
        #expect(error.message.contains("no [rule] table"))
    }

    @Test("missing rule_id names the rule table")
    func missingRuleID() throws {
        let error = try #require(try loadError("[metadata]\nx = 1\n\n[rule]\nquery = 'process where true'\n"))
        #expect(error.line == 4)
        #expect(error.column == 1)
        #expect(error.message.contains("rule_id"))
    }

    @Test("missing query names the rule table")
    func missingQuery() throws {
        let error = try #require(try loadError("[rule]\nrule_id = \"R1\"\n"))
        #expect(error.line == 1)
        #expect(error.message.contains("no query"))
    }

    /// A `[rule]` line with a value of the wrong type, its column, and a text the error message must contain.
    static let wrongTypes: [(line: String, column: Int, message: String)] = [
        ("tags = \"Windows\"", 8, "tags must be an array of strings, found a string"),
        ("tags = [\"a\", 1]", 14, "tags must be an array of strings, found an integer"),
        ("risk_score = \"21\"", 14, "risk_score must be an integer, found a string"),
        ("name = 5", 8, "name must be a string, found an integer"),
        ("threat = \"none\"", 10, "threat must be an array of tables"),
        ("type = \"query\"", 8, "type is \"query\", expected \"eql\""),
        ("language = \"kuery\"", 12, "language is \"kuery\", expected \"eql\""),
    ]

    @Test("value of the wrong type names its position")
    func wrongTypes() throws {
        for wrong in Self.wrongTypes {
            let text = "[rule]\nrule_id = \"R1\"\nquery = 'process where true'\n" + wrong.line + "\n"
            let error = try #require(try loadError(text), "\(wrong.line)")
            #expect(error.line == 4, "\(wrong.line)")
            #expect(error.column == wrong.column, "\(wrong.line)")
            #expect(error.message.contains(wrong.message), "\(error.message)")
        }
    }
}
