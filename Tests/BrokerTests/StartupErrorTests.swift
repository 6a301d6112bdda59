import Foundation
import Testing

/// A scratch folder for files a test writes, removed when the value is released.
final class ScratchFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("eqlstream-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` inside the folder and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// `run` must stop before it connects anywhere, with status 2 and a message naming the cause, for every kind of
/// bad configuration and bad rule.
@Suite("Startup errors")
struct StartupErrorTests {
    /// `--set` values that are not valid, with what the message must contain.
    static let badSettings: [(setting: String, messages: [String])] = [
        ("commit.intervall=1s", [#"unknown configuration key "commit.intervall""#, #"Did you mean "commit.interval"?"#]),
        ("frobnicate=1", [#"unknown configuration key "frobnicate""#, "prefix kafka."]),
        ("commit.interval=5", [#"invalid value "5" for commit.interval"#, "a duration such as"]),
        ("commit.interval=5sec", [#"invalid value "5sec" for commit.interval"#]),
        ("embedded.rate=fast", [#"invalid value "fast" for embedded.rate"#, "a positive whole number"]),
        ("input.stop.at.end=yes", [#"invalid value "yes" for input.stop.at.end"#, "true or false"]),
        ("log.level=loud", [#"invalid value "loud" for log.level"#, "trace, debug, info"]),
        ("commit.interval=0s", [#"invalid value "0s" for commit.interval"#, "from 10ms to 1h"]),
        ("shutdown.timeout=2h", [#"invalid value "2h" for shutdown.timeout"#, "from 100ms to 1h"]),
        ("embedded.partitions=5000", [#"invalid value "5000" for embedded.partitions"#, "from 1 to 1000"]),
        ("detection.max.held.events=0", [#"invalid value "0" for detection.max.held.events"#]),
        ("input.topics=,", [#"invalid value "," for input.topics"#]),
        ("kafka.no.such.property=1", ["unknown librdkafka property no.such.property", "check its spelling"]),
        ("kafka.enable.idempotence=maybe", ["enable.idempotence=maybe", "Expected bool value"]),
        ("kafka.=1", ["names no librdkafka property"]),
        ("rules.path=/nonexistent/rules", ["/nonexistent/rules", "no such file or folder"]),
        ("log.level", ["--set log.level: expected key=value"]),
    ]

    @Test("bad setting exits 2 and names it", arguments: badSettings.indices)
    func badSetting(index: Int) throws {
        let (setting, messages) = Self.badSettings[index]
        let result = try runCommand(["run", "--set", setting])
        #expect(result.status == 2, "\(setting): \(result.error)")
        for message in messages {
            #expect(result.error.contains(message), "\(setting): \(result.error)")
        }
        #expect(!result.error.contains("embedded broker started"), "\(setting): \(result.error)")
    }

    @Test("bad environment variable names the variable")
    func badEnvironment() throws {
        let result = try runCommand(["run"], environment: ["EQLSTREAM_COMMIT_INTERVAL": "soon"])
        #expect(result.status == 2)
        #expect(result.error.contains("environment variable EQLSTREAM_COMMIT_INTERVAL"), "\(result.error)")
        #expect(result.error.contains(#"invalid value "soon""#), "\(result.error)")
    }

    @Test("bad configuration file names the file and line")
    func badConfigurationFile() throws {
        let folder = try ScratchFolder()
        let unknown = try folder.write("unknown.properties", "# comment\nlog.level=info\nrules.pth=config/rules\n")
        var result = try runCommand(["run", "--config", unknown])
        #expect(result.status == 2)
        #expect(result.error.contains("\(unknown):3: unknown configuration key \"rules.pth\""), "\(result.error)")
        #expect(result.error.contains(#"Did you mean "rules.path"?"#), "\(result.error)")

        let malformed = try folder.write("malformed.properties", "log.level=info\n=debug\n")
        result = try runCommand(["run", "--config", malformed])
        #expect(result.status == 2)
        #expect(result.error.contains("\(malformed):2: the line has a value but no key"), "\(result.error)")
    }

    @Test("unreadable configuration file exits 2")
    func unreadableConfigurationFile() throws {
        let folder = try ScratchFolder()
        var result = try runCommand(["run", "--config", folder.path("missing.properties")])
        #expect(result.status == 2)
        #expect(result.error.contains("cannot read the configuration file"), "\(result.error)")
        #expect(result.error.contains("no such file"), "\(result.error)")
        result = try runCommand(["run", "--config", folder.url.path])
        #expect(result.status == 2)
        #expect(result.error.contains("it is a folder"), "\(result.error)")
    }

    /// Rule files that fail to load, with what the message must contain: the file, line and column, and the fix.
    static let badRules: [(name: String, text: String, messages: [String])] = [
        ("multiline.json", "{\n  \"rule_id\": \"a\",\n  \"query\":\n}\n",
         ["multiline.json:4:1: invalid JSON", "missing value, comma, quote or bracket"]),
        ("export.ndjson", "{\"rule_id\": \"a\", \"type\": \"eql\", \"query\": \"process where true\"}\n  {\"rule_id\": \"b\" \"query\": \"x\"}\n",
         ["export.ndjson:2:19: invalid JSON", "missing value, comma, quote or bracket"]),
        ("rule.toml", "[rule]\nrule_id = \"a\"\nname = \n", ["rule.toml:3:8", "expected a value"]),
        ("query.json", #"{"rule_id": "q", "name": "q", "type": "eql", "query": "process wher true"}"#,
         ["query.json", "query line 1, column 9", "expected `where`"]),
    ]

    @Test("bad rule file exits 2 with its position", arguments: badRules.indices)
    func badRuleFile(index: Int) throws {
        let (name, text, messages) = Self.badRules[index]
        let folder = try ScratchFolder()
        try folder.write("rules/\(name)", text)
        let result = try runCommand(["run", "--set", "rules.path=\(folder.path("rules"))"])
        #expect(result.status == 2, "\(name): \(result.error)")
        for message in messages {
            #expect(result.error.contains(message), "\(name): \(result.error)")
        }
        #expect(!result.error.contains("embedded broker started"), "\(name): \(result.error)")
        let check = try runCommand(["check", folder.path("rules")])
        #expect(check.status == 2)
        #expect(check.error.contains(messages[0]), "\(name): \(check.error)")
    }

    @Test("empty rules folder exits 2")
    func emptyRulesFolder() throws {
        let folder = try ScratchFolder()
        try folder.write("rules/readme.txt", "no rules here\n")
        let result = try runCommand(["run", "--set", "rules.path=\(folder.path("rules"))"])
        #expect(result.status == 2)
        #expect(result.error.contains("the folder has no .json, .ndjson or .toml rule files"), "\(result.error)")
    }
}
