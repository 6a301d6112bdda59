import EQL
import Foundation
import Testing

@testable import Detection

/// The messages of `eqlstream check`, through ``RuleCheck/run(paths:defaultWindow:)``, which the command prints.
@Suite("Check messages")
struct RuleCheckTests {
    /// A query error: the condition after `process where`, the 1-based column of the error inside the condition, and
    /// texts the message must contain (what was found and what was expected).
    struct QueryErrorCase: Sendable, CustomTestStringConvertible {
        var name: String
        var condition: String
        var column: Int
        var fragments: [String]

        var testDescription: String { name }
    }

    static let queryErrorCases: [QueryErrorCase] = [
        QueryErrorCase(
            name: "unknown function", condition: "fooBar(process.name)", column: 1,
            fragments: ["unknown function `fooBar`", "expected one of", "cidrMatch", "stringContains"]),
        QueryErrorCase(
            name: "wrong arity", condition: "length(process.name, 1) > 3", column: 1,
            fragments: ["function `length` takes 1 argument, but 2 were given"]),
        QueryErrorCase(
            name: "unterminated string", condition: #"process.name == "cmd.exe"#, column: 17,
            fragments: ["unterminated string literal", "found end of", "expected a closing `\"`"]),
        QueryErrorCase(
            name: "unknown operator", condition: "process.pid === 4", column: 13,
            fragments: ["unknown operator `===`", "found `===`", "expected one of `==`, `!=`, `<`, `<=`, `>`, `>=`"]),
        QueryErrorCase(
            name: "single equals sign", condition: "process.pid = 4", column: 13,
            fragments: ["unknown operator `=`", "write `==`", "found `=`", "expected one of `==`"]),
        QueryErrorCase(
            name: "field compared with field", condition: "process.name == process.parent.name", column: 17,
            fragments: [
                "cannot compare the field `process.name` with another field",
                "found the field `process.parent.name` on the right of `==`", "expected a constant",
            ]),
        QueryErrorCase(
            name: "field compared with a function of a field", condition: "length(process.name) < length(user.name)",
            column: 31,
            fragments: [
                "found an expression that reads the field `user.name` on the right of `<`", "expected a constant",
            ]),
        QueryErrorCase(
            name: "field in the list of in", condition: #"process.name in ("cmd.exe", process.parent.name)"#,
            column: 29,
            fragments: ["found the field `process.parent.name` in the list of `in`", "expected a constant"]),
    ]

    /// The TOML lines before the query text: the query's first line is line 7 of the file.
    static let tomlHeader = """
        [rule]
        rule_id = "bad-rule"
        name = "Bad rule"
        type = "eql"
        language = "eql"
        query = '''

        """

    /// Writes `text` to `name` in `folder` and returns its path.
    func write(_ text: String, to name: String, in folder: URL) throws -> String {
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// Writes a Kibana JSON rule with `query` and returns its path.
    func writeJSONRule(_ query: String, in folder: URL) throws -> String {
        let object = JSONValue.object([
            ("rule_id", .string("bad-rule")), ("type", .string("eql")), ("language", .string("eql")),
            ("query", .string(query)),
        ])
        return try write(object.serialized(), to: "rule.json", in: folder)
    }

    /// Checks `path` and returns its only error.
    func onlyError(_ path: String) throws -> RuleLoadError {
        let report = RuleCheck.run(paths: [path], defaultWindow: .seconds(600))
        #expect(report.lines.isEmpty)
        #expect(report.errors.count == 1)
        return try #require(report.errors.first)
    }

    @Test("TOML query errors point into the file", arguments: queryErrorCases)
    func tomlQueryError(_ errorCase: QueryErrorCase) throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The condition sits on the query's second line, indented by two spaces, which is line 8 of the file.
        let text = Self.tomlHeader + "process where\n  \(errorCase.condition)\n'''\n"
        let path = try write(text, to: "rule.toml", in: folder)
        let error = try onlyError(path)
        #expect(error.file == path)
        #expect(error.line == 8)
        #expect(error.column == 2 + errorCase.column)
        #expect(error.queryPosition == SourcePosition(line: 2, column: 2 + errorCase.column))
        #expect(error.description.hasPrefix("\(path):8:\(2 + errorCase.column): rule bad-rule: "))
        for fragment in errorCase.fragments {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("JSON query errors give the position inside the query", arguments: queryErrorCases)
    func jsonQueryError(_ errorCase: QueryErrorCase) throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try writeJSONRule("process where " + errorCase.condition, in: folder)
        let error = try onlyError(path)
        let column = 14 + errorCase.column
        #expect(error.file == path)
        #expect(error.line == nil)
        #expect(error.column == nil)
        #expect(error.queryPosition == SourcePosition(line: 1, column: column))
        #expect(error.description.hasPrefix("\(path): rule bad-rule: query line 1, column \(column): "))
        for fragment in errorCase.fragments {
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("sequence with one stage in TOML")
    func singleStageSequenceTOML() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = Self.tomlHeader + "sequence by process.entity_id\n  [process where true]\n'''\n"
        let path = try write(text, to: "rule.toml", in: folder)
        let error = try onlyError(path)
        // The error is at the end of the query, which is the closing `'''` on line 9.
        #expect(error.line == 9)
        #expect(error.column == 1)
        #expect(error.message.contains("a sequence needs at least two stages, but found 1"))
        #expect(error.message.contains("found end of input"))
        #expect(error.message.contains("expected `[` to start another stage"))
    }

    @Test("sequence with one stage in JSON")
    func singleStageSequenceJSON() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try writeJSONRule("sequence by process.entity_id [process where true]", in: folder)
        let error = try onlyError(path)
        #expect(error.line == nil)
        #expect(error.queryPosition == SourcePosition(line: 1, column: 51))
        #expect(error.message.contains("query line 1, column 51"))
        #expect(error.message.contains("a sequence needs at least two stages, but found 1"))
        #expect(error.message.contains("expected `[` to start another stage"))
    }

    @Test("export line for a query error")
    func exportLine() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = #"{"rule_id":"good","query":"process where true"}"#
        let bad = #"{"rule_id":"bad","query":"process where fooBar(x)"}"#
        let path = try write(good + "\n" + bad + "\n", to: "export.ndjson", in: folder)
        let report = RuleCheck.run(paths: [path], defaultWindow: .seconds(600))
        #expect(report.errors.count == 1)
        let error = try #require(report.errors.first)
        #expect(error.line == 2)
        #expect(error.description.hasPrefix("\(path):2: rule bad: query line 1, column 15: unknown function"))
        #expect(report.lines.first == "good  good")
    }

    @Test("every error of every file is reported")
    func everyError() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = try write("[rule]\nrule_id = \"broken\nquery = 'x'\n", to: "a.toml", in: folder)
        let unknown = try write(
            Self.tomlHeader.replacingOccurrences(of: "bad-rule", with: "unknown") + "process where nope()\n'''\n",
            to: "b.toml", in: folder)
        _ = try write(#"{"rule_id":"fine","name":"Fine","query":"process where true"}"#, to: "c.json", in: folder)
        let report = RuleCheck.run(paths: [folder.path], defaultWindow: .seconds(600))
        #expect(report.errors.map(\.file) == [broken, unknown])
        #expect(report.errors.first?.line == 2)
        #expect(report.errors.last?.line == 7)
        #expect(report.errors.last?.column == 15)
        #expect(report.lines == [
            "fine  Fine", "  kind: event query", "  window: 360s (lookback now-6m)", "  fields: event.category",
        ])
    }

    @Test("valid rule summary")
    func validRuleSummary() throws {
        let report = RuleCheck.run(paths: [signedBinaryTOMLPath], defaultWindow: .seconds(600))
        #expect(report.errors.isEmpty)
        #expect(report.lines == [
            "63e65ec3-43b1-45b0-8f2d-45b34291dc44  Network Connection via Signed Binary",
            "  kind: sequence of 2 stages, joined by process.entity_id",
            "  window: 540s (lookback now-9m)",
            "  fields: destination.ip, event.category, event.type, process.entity_id, process.name",
        ])
    }

    @Test("missing path")
    func missingPath() throws {
        let report = RuleCheck.run(paths: ["/nonexistent/rules"], defaultWindow: .seconds(600))
        #expect(report.errors.count == 1)
        #expect(report.errors.first?.file == "/nonexistent/rules")
        #expect(report.errors.first?.message.contains("no such file or folder") == true)
    }
}
