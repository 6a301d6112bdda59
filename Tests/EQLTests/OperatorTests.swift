import EQL
import Testing

@Suite("Operators")
struct OperatorTests {
    @Test("colon ignores case and expands wildcards")
    func colonWildcards() throws {
        let name: [String: EQLValue] = ["process.name": .string("EXPAND.EXE")]
        #expect(try evaluate(#"process where process.name : "expand.exe""#, name))
        #expect(try evaluate(#"process where process.name : "exp*.e?e""#, name))
        #expect(try evaluate(#"process where process.name : "*""#, name))
        #expect(try !evaluate(#"process where process.name : "exp?.exe""#, name))
        #expect(try !evaluate(#"process where process.name : "expand""#, name))
    }

    @Test("colon against a list")
    func colonList() throws {
        let name: [String: EQLValue] = ["process.name": .string("makecab.exe")]
        #expect(try evaluate(#"process where process.name : ("a*", "MAKE*")"#, name))
        #expect(try !evaluate(#"process where process.name : ("a*", "b")"#, name))
    }

    @Test("colon on non-ASCII text")
    func colonUnicode() throws {
        let name: [String: EQLValue] = ["file.name": .string("ÄRGER.txt")]
        #expect(try evaluate(#"file where file.name : "ärger.*""#, name, category: "file"))
        #expect(try evaluate(#"file where file.name : "?rger.txt""#, name, category: "file"))
    }

    @Test("colon with a number")
    func colonNumber() throws {
        #expect(try evaluate("process where process.pid : 4", ["process.pid": .integer(4)]))
        #expect(try !evaluate("process where process.pid : 4", ["process.pid": .string("4")]))
    }

    @Test("equality is case-sensitive")
    func equalityCase() throws {
        let type: [String: EQLValue] = ["event.type": .string("start")]
        #expect(try evaluate(#"process where event.type == "start""#, type))
        #expect(try !evaluate(#"process where event.type == "START""#, type))
        #expect(try evaluate(#"process where event.type != "START""#, type))
    }

    @Test("equality on arrays matches any element")
    func equalityArray() throws {
        let types: [String: EQLValue] = ["event.type": .array([.string("start"), .string("info")])]
        #expect(try evaluate(#"process where event.type == "info""#, types))
        #expect(try !evaluate(#"process where event.type == "end""#, types))
        #expect(try !evaluate(#"process where event.type != "info""#, types))
        #expect(try evaluate(#"process where event.type != "end""#, types))
    }

    @Test("missing field fails the predicate and passes its negation")
    func missingField() throws {
        #expect(try !evaluate(#"process where event.type == "start""#, [:]))
        #expect(try evaluate(#"process where event.type != "start""#, [:]))
        #expect(try evaluate(#"process where not event.type : "start""#, [:]))
        #expect(try !evaluate(#"process where event.type in ("a", "b")"#, [:]))
        #expect(try evaluate(#"process where event.type not in ("a", "b")"#, [:]))
    }

    @Test("null value behaves as missing")
    func nullValue() throws {
        let null: [String: EQLValue] = ["event.type": .null]
        #expect(try !evaluate(#"process where event.type == "start""#, null))
        #expect(try evaluate(#"process where not event.type == "start""#, null))
        #expect(try evaluate("process where event.type == null", null))
        #expect(try evaluate("process where event.type == null", [:]))
        #expect(try !evaluate("process where event.type != null", [:]))
        #expect(try evaluate("process where event.type != null", ["event.type": .string("x")]))
    }

    @Test("in and in~")
    func membership() throws {
        let name: [String: EQLValue] = ["process.name": .string("CMD.exe")]
        #expect(try evaluate(#"process where process.name in ("cmd.exe", "CMD.exe")"#, name))
        #expect(try !evaluate(#"process where process.name in ("cmd.exe", "powershell.exe")"#, name))
        #expect(try evaluate(#"process where process.name in~ ("cmd.exe", "powershell.exe")"#, name))
        #expect(try evaluate(#"process where process.name not in ("cmd.exe")"#, name))
        #expect(try evaluate("process where process.pid in (1, 4.0)", ["process.pid": .integer(4)]))
    }

    @Test("like and like~")
    func like() throws {
        let path: [String: EQLValue] = ["file.path": .string("C:\\Windows\\Temp\\A.tmp")]
        #expect(try evaluate(#"file where file.path like "C:\\Windows\\*.tmp""#, path, category: "file"))
        #expect(try !evaluate(#"file where file.path like "c:\\windows\\*.tmp""#, path, category: "file"))
        #expect(try evaluate(#"file where file.path like~ "c:\\windows\\*.TMP""#, path, category: "file"))
        #expect(try evaluate(#"file where file.path like ("x", "*A.tmp")"#, path, category: "file"))
    }

    @Test("regex matches the whole value")
    func regex() throws {
        let name: [String: EQLValue] = ["process.name": .string("Svchost.exe")]
        #expect(try evaluate(#"process where process.name regex "S[a-z]+\\.exe""#, name))
        #expect(try !evaluate(#"process where process.name regex "svchost""#, name))
        #expect(try !evaluate(#"process where process.name regex "s[a-z]+\\.exe""#, name))
        #expect(try evaluate(#"process where process.name regex~ "s[a-z]+\\.EXE""#, name))
    }

    @Test("invalid regex is a compile error")
    func invalidRegex() throws {
        let error = try #require(try compileError(#"process where process.name regex "a(""#))
        #expect(error.column == 34)
    }

    @Test("ordering of numbers and strings")
    func ordering() throws {
        let values: [String: EQLValue] = ["a": .integer(5), "b": .double(2.5), "s": .string("beta")]
        #expect(try evaluate("process where a > 4", values))
        #expect(try evaluate("process where a >= 5.0", values))
        #expect(try !evaluate("process where a < 5", values))
        #expect(try evaluate("process where b <= 2.5", values))
        #expect(try evaluate("process where 3 > b", values))
        #expect(try evaluate(#"process where s > "alpha""#, values))
        #expect(try !evaluate(#"process where s < "Beta""#, values))
        #expect(try !evaluate(#"process where s > 1"#, values))
    }

    @Test("field compared with field is rejected")
    func fieldToField() throws {
        // Elasticsearch rejects a comparison whose two sides both read fields, even through functions.
        let equal = try #require(try compileError("process where a == b"))
        #expect(equal.line == 1)
        #expect(equal.column == 20)
        #expect(equal.message.contains("found the field `b` on the right of `==`"))
        #expect(equal.message.contains("expected a constant"))
        let ordered = try #require(try compileError("process where x > 1 and length(a) >= b + 1"))
        #expect(ordered.column == 38)
        #expect(ordered.message.contains("an expression that reads the field `b` on the right of `>=`"))
        let nested = try #require(try compileError("process where not (a != b)"))
        #expect(nested.column == 25)
        let list = try #require(try compileError(#"process where a in ("x", b)"#))
        #expect(list.column == 26)
        #expect(list.message.contains("in the list of `in`"))
    }

    @Test("field compared with constant expression")
    func fieldToConstantExpression() throws {
        // A side that reads no field is a constant, on either side of the operator.
        #expect(try evaluate("process where a == 1 + 1", ["a": .integer(2)]))
        #expect(try evaluate("process where 1 + 1 == a", ["a": .integer(2)]))
        #expect(try evaluate(#"process where length(a) == length("abc")"#, ["a": .string("xyz")]))
        #expect(try evaluate(#"process where "x" in (a, "y")"#, ["a": .string("x")]))
        #expect(try evaluate("process where a + 1 == 3", ["a": .integer(2)]))
    }

    @Test("and, or and not")
    func logic() throws {
        let values: [String: EQLValue] = ["a": .integer(1), "b": .integer(2)]
        #expect(try evaluate("process where a == 1 and b == 2", values))
        #expect(try !evaluate("process where a == 1 and b == 3", values))
        #expect(try evaluate("process where a == 9 or b == 2", values))
        #expect(try !evaluate("process where not (a == 1 or b == 3)", values))
        #expect(try evaluate("process where not a == 9 and b == 2", values))
    }

    @Test("arithmetic in comparisons")
    func arithmetic() throws {
        let values: [String: EQLValue] = ["a": .integer(7), "b": .double(0.5)]
        #expect(try evaluate("process where a + 1 == 8", values))
        #expect(try evaluate("process where a * 2 - 4 == 10", values))
        #expect(try evaluate("process where a / 2 == 3", values))
        #expect(try evaluate("process where a % 4 == 3", values))
        #expect(try evaluate("process where a + b == 7.5", values))
        #expect(try evaluate("process where -a == -7", values))
    }

    @Test("null computed value is not negated into a match")
    func computedNull() throws {
        #expect(try !evaluate("process where a + 1 == 2", [:]))
        #expect(try !evaluate("process where not (a + 1 == 2)", [:]))
        #expect(try !evaluate("process where a / 0 == 1", ["a": .integer(1)]))
    }

    @Test("category check")
    func category() throws {
        let table = FieldTable()
        guard case .event(let event) = try EQLParser.parse("network where true").body else {
            Issue.record("expected an event query")
            return
        }
        let filter = try EQLCompiler.compileFilter(event, fields: table)
        let network = DictionarySource(["event.category": .string("network")], table: table)
        let both = DictionarySource(["event.category": .array([.string("process"), .string("network")])], table: table)
        let process = DictionarySource(["event.category": .string("process")], table: table)
        let upper = DictionarySource(["event.category": .string("Network")], table: table)
        #expect(filter.matches(network))
        #expect(filter.matches(both))
        #expect(!filter.matches(process))
        #expect(!filter.matches(upper))
        #expect(!filter.matches(DictionarySource([:], table: table)))
        #expect(table.lookup("event.category") != nil)
    }

    @Test("any skips the category check")
    func anyCategory() throws {
        #expect(try evaluate("any where a == 1", ["a": .integer(1)], category: "whatever"))
    }

    @Test("boolean field as condition")
    func booleanField() throws {
        #expect(try evaluate("process where process.interactive", ["process.interactive": .bool(true)]))
        #expect(try !evaluate("process where process.interactive", ["process.interactive": .bool(false)]))
        #expect(try evaluate("process where not process.interactive", [:]))
    }
}
