import EQL
import Testing

@Suite("Parser")
struct ParserTests {
    private func sequence(_ text: String) throws -> SequenceQuery {
        guard case .sequence(let sequence) = try EQLParser.parse(text).body else {
            Issue.record("expected a sequence: \(text)")
            throw EQLSyntaxError(line: 0, column: 0, found: "", expected: "", message: "not a sequence")
        }
        return sequence
    }

    private func event(_ text: String) throws -> EventQuery {
        guard case .event(let event) = try EQLParser.parse(text).body else {
            Issue.record("expected an event query: \(text)")
            throw EQLSyntaxError(line: 0, column: 0, found: "", expected: "", message: "not an event query")
        }
        return event
    }

    @Test("unpacker rule parses into two stages")
    func unpackerRule() throws {
        let rule = try sequence(unpackerRuleQuery)
        #expect(rule.by.map(\.name) == ["process.entity_id"])
        #expect(rule.stages.count == 2)
        #expect(rule.stages.map(\.query.category) == ["process", "network"])
        #expect(rule.maxspan == nil)
        #expect(rule.until == nil)
        #expect(rule.stages[0].query.position == SourcePosition(line: 2, column: 4))
    }

    @Test("unpacker rule field names")
    func unpackerRuleFieldNames() throws {
        let names = EQLCompiler.fieldNames(of: try EQLParser.parse(unpackerRuleQuery))
        #expect(names == ["process.entity_id", "process.name", "event.type", "destination.ip"])
    }

    @Test("any has no category")
    func anyCategory() throws {
        #expect(try event("any where true").category == nil)
        #expect(try event("\"file\" where true").category == "file")
    }

    @Test("maxspan units")
    func maxspanUnits() throws {
        let cases: [(String, Duration)] = [
            ("100ms", .milliseconds(100)), ("30s", .seconds(30)), ("5m", .seconds(300)), ("9m", .seconds(540)),
            ("2h", .seconds(7200)), ("1d", .seconds(86400)),
        ]
        for (text, expected) in cases {
            let query = "sequence with maxspan=\(text) [process where true] [file where true]"
            #expect(try sequence(query).maxspan == expected, "maxspan=\(text)")
        }
    }

    @Test("maxspan before or after by")
    func maxspanOrder() throws {
        let first = try sequence("sequence by host.id with maxspan=1m [process where true] [file where true]")
        let second = try sequence("sequence with maxspan=1m by host.id [process where true] [file where true]")
        #expect(first.maxspan == .seconds(60))
        #expect(second.maxspan == .seconds(60))
        #expect(first.by.map(\.name) == ["host.id"])
        #expect(second.by.map(\.name) == ["host.id"])
    }

    @Test("maxspan without unit is rejected")
    func maxspanWithoutUnit() {
        let error = syntaxError("sequence with maxspan=5 [process where true] [file where true]")
        #expect(error?.column == 23)
        #expect(error?.found == "`5`")
    }

    @Test("until stage and stage keys")
    func untilStage() throws {
        let query = """
            sequence [process where true] by process.pid [file where true] by process.pid
            until [process where event.type == "end"] by process.pid
            """
        let parsed = try sequence(query)
        #expect(parsed.stages.count == 2)
        #expect(parsed.stages[1].by.map(\.name) == ["process.pid"])
        #expect(parsed.until?.query.category == "process")
        #expect(parsed.until?.by.map(\.name) == ["process.pid"])
    }

    @Test("runs repeats a stage")
    func runs() throws {
        let parsed = try sequence("sequence [process where true] with runs=3 [file where true]")
        #expect(parsed.stages.map(\.query.category) == ["process", "process", "process", "file"])
    }

    @Test("runs alone reaches two stages")
    func runsAlone() throws {
        let parsed = try sequence("sequence [process where true] with runs=2")
        #expect(parsed.stages.count == 2)
    }

    @Test("optional and backquoted fields")
    func fieldReferences() throws {
        let parsed = try event("process where ?process.title == \"x\" and `my field`.sub == 1 and @timestamp > 0")
        var references: [FieldReference] = []
        parsed.condition.forEachField { references.append($0) }
        #expect(references.map(\.name) == ["process.title", "my field.sub", "@timestamp"])
        #expect(references.map(\.isOptional) == [true, false, false])
        #expect(references[1].position == SourcePosition(line: 1, column: 41))
    }

    @Test("comments are skipped")
    func comments() throws {
        let text = """
            // leading comment
            process where /* inline */ process.name == "a" // trailing
            """
        let parsed = try event(text)
        #expect(parsed.category == "process")
        #expect(parsed.position == SourcePosition(line: 2, column: 1))
    }

    @Test("not binds tighter than and, and than or")
    func precedence() throws {
        let parsed = try event("process where not a == 1 and b == 2 or c == 3")
        guard case .or(let left, _, _) = parsed.condition, case .and(let inner, _, _) = left,
            case .not = inner
        else {
            Issue.record("unexpected tree \(parsed.condition)")
            return
        }
    }

    @Test("multiplication binds tighter than addition")
    func arithmeticPrecedence() throws {
        let parsed = try event("process where a + b * 2 == 7")
        guard case .comparison(.equal, let left, _, _) = parsed.condition,
            case .arithmetic(.add, _, let right, _) = left, case .arithmetic(.multiply, _, _, _) = right
        else {
            Issue.record("unexpected tree \(parsed.condition)")
            return
        }
    }

    @Test("string escapes and raw strings")
    func strings() throws {
        let escaped = try event(#"process where a == "q\"b\\n\n\t\u{41}""#)
        guard case .comparison(_, _, .literal(.string(let value), _), _) = escaped.condition else {
            Issue.record("unexpected tree \(escaped.condition)")
            return
        }
        #expect(value == "q\"b\\n\n\tA")
        let raw = try event(#"process where a == """C:\Windows\"x""""#)
        guard case .comparison(_, _, .literal(.string(let rawValue), _), _) = raw.condition else {
            Issue.record("unexpected tree \(raw.condition)")
            return
        }
        #expect(rawValue == #"C:\Windows\"x"#)
    }

    @Test("negative literals fold")
    func negativeLiteral() throws {
        let parsed = try event("process where a in (-2, 3.5)")
        guard case .membership(_, let items, _, _, _) = parsed.condition,
            case .literal(.integer(-2), _) = items[0], case .literal(.double(3.5), _) = items[1]
        else {
            Issue.record("unexpected tree \(parsed.condition)")
            return
        }
    }
}
