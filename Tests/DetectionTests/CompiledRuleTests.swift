import EQL
import Testing

@testable import Detection

@Suite("Compiled rule")
struct CompiledRuleTests {
    static let nanosecondsPerMinute: Int64 = 60 * 1_000_000_000

    @Test("signed-binary rule has two stages")
    func signedBinaryRuleStages() throws {
        let fields = FieldTable()
        let compiled = try CompiledRule(rule: loadSignedBinaryRule(), fields: fields, defaultWindow: .seconds(60))
        #expect(compiled.stages.count == 2)
        #expect(compiled.isSequence)
        #expect(compiled.until == nil)
        #expect(compiled.maxspan == nil)
        for stage in compiled.stages {
            #expect(stage.keys.map(\.name) == ["process.entity_id"])
            #expect(stage.keys.map(\.isOptional) == [false])
            #expect(stage.keys.first?.slot == fields.lookup("process.entity_id"))
        }
    }

    @Test("signed-binary rule window is lookback")
    func signedBinaryRuleWindow() throws {
        let compiled = try CompiledRule(rule: loadSignedBinaryRule(), fields: FieldTable(), defaultWindow: .seconds(60))
        #expect(compiled.window == 9 * Self.nanosecondsPerMinute)
    }

    @Test("signed-binary rule field names")
    func signedBinaryRuleFieldNames() throws {
        let fields = FieldTable()
        let compiled = try CompiledRule(rule: loadSignedBinaryRule(), fields: fields, defaultWindow: .seconds(60))
        for name in ["process.name", "event.type", "destination.ip", "process.entity_id", "event.category"] {
            #expect(compiled.fieldNames.contains(name), "\(name)")
            #expect(fields.lookup(name) != nil, "\(name) is not registered in the shared table")
        }
        #expect(compiled.fieldNames == compiled.fieldNames.sorted())
    }

    @Test("maxspan sets the window")
    func maxspanWindow() throws {
        let rule = try makeRule(
            query: "sequence by host.id with maxspan=30s [process where true] [network where true]", from: "now-9m")
        let compiled = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: .seconds(60))
        #expect(compiled.maxspan == 30_000_000_000)
        #expect(compiled.window == 30_000_000_000)
    }

    @Test("default window without lookback")
    func defaultWindow() throws {
        let rule = try makeRule(query: "sequence [process where true] [network where true]", from: "2024-01-01")
        let compiled = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: .seconds(120))
        #expect(compiled.window == 2 * Self.nanosecondsPerMinute)
    }

    @Test("stage keys follow the sequence keys")
    func stageKeys() throws {
        let rule = try makeRule(
            query: "sequence by host.id [process where true] by process.pid [network where true] by ?source.port")
        let compiled = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: .seconds(60))
        #expect(compiled.stages[0].keys.map(\.name) == ["host.id", "process.pid"])
        #expect(compiled.stages[1].keys.map(\.name) == ["host.id", "source.port"])
        #expect(compiled.stages[1].keys.map(\.isOptional) == [false, true])
    }

    @Test("until stage is compiled")
    func untilStage() throws {
        let rule = try makeRule(
            query: #"sequence by process.entity_id [process where true] [network where true] until [process where event.type == "end"]"#)
        let compiled = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: .seconds(60))
        let until = try #require(compiled.until)
        #expect(until.keys.map(\.name) == ["process.entity_id"])
        #expect(compiled.fieldNames.contains("event.type"))
    }

    @Test("field names are per rule in a shared table")
    func fieldNamesPerRule() throws {
        let fields = FieldTable()
        let first = try CompiledRule(
            rule: makeRule(query: #"process where process.name == "a""#, ruleID: "first"), fields: fields,
            defaultWindow: .seconds(60))
        let second = try CompiledRule(
            rule: makeRule(query: #"process where user.name == "b""#, ruleID: "second"), fields: fields,
            defaultWindow: .seconds(60))
        #expect(!first.isSequence)
        #expect(first.stages.count == 1)
        #expect(!first.fieldNames.contains("user.name"))
        #expect(!second.fieldNames.contains("process.name"))
        #expect(fields.lookup("process.name") != nil)
        #expect(fields.lookup("user.name") != nil)
    }

    @Test("syntax error reports the rule and position")
    func syntaxError() throws {
        let rule = try makeRule(query: "sequence by process.entity_id [process where ] [network where true]", ruleID: "bad")
        do {
            _ = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: .seconds(60))
            Issue.record("the query compiled")
        } catch let error as RuleLoadError {
            // A JSON rule's query is one JSON string, so the position is inside the query, not in the file.
            #expect(error.file == "test")
            #expect(error.line == nil)
            #expect(error.queryPosition == SourcePosition(line: 1, column: 46))
            #expect(error.message.contains("bad"))
            #expect(error.message.contains("query line 1, column 46"))
        }
    }

    @Test("unknown function reports the rule")
    func compileError() throws {
        let rule = try makeRule(query: #"process where noSuchFunction(process.name)"#, ruleID: "bad-function")
        do {
            _ = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: .seconds(60))
            Issue.record("the query compiled")
        } catch let error as RuleLoadError {
            #expect(error.message.contains("bad-function"))
            #expect(error.queryPosition == SourcePosition(line: 1, column: 15))
        }
    }
}
