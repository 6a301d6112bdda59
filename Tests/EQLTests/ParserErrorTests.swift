import EQL
import Testing

@Suite("Parser errors")
struct ParserErrorTests {
    @Test("unterminated string")
    func unterminatedString() throws {
        let error = try #require(syntaxError("process where\n  process.name == \"abc"))
        #expect(error.line == 2)
        #expect(error.column == 19)
        #expect(error.message.contains("unterminated string"))
    }

    @Test("triple equals is an unknown operator")
    func tripleEquals() throws {
        let error = try #require(syntaxError("process where a === \"x\""))
        #expect(error.line == 1)
        #expect(error.column == 17)
        #expect(error.found == "`===`")
        #expect(error.message.contains("unknown operator"))
    }

    @Test("single equals is an unknown operator")
    func singleEquals() throws {
        let error = try #require(syntaxError("process where a = \"x\""))
        #expect(error.column == 17)
        #expect(error.found == "`=`")
        #expect(error.expected.contains("=="))
    }

    @Test("missing closing bracket")
    func missingBracket() throws {
        let error = try #require(syntaxError("sequence\n  [process where a == 1\n  [file where true]"))
        #expect(error.line == 3)
        #expect(error.column == 3)
        #expect(error.found == "`[`")
        #expect(error.expected == "`]`")
    }

    @Test("single-stage sequence")
    func singleStage() throws {
        let error = try #require(syntaxError("sequence by host.id\n  [process where true]"))
        #expect(error.line == 2)
        #expect(error.column == 23)
        #expect(error.found == "end of input")
        #expect(error.message.contains("at least two stages"))
    }

    @Test("unexpected end of input")
    func endOfInput() throws {
        let error = try #require(syntaxError("process where a == "))
        #expect(error.column == 20)
        #expect(error.found == "end of input")
        #expect(error.message.contains("unexpected end of input"))
    }

    @Test("single-quoted string")
    func singleQuoted() throws {
        let error = try #require(syntaxError("process where a == 'x'"))
        #expect(error.column == 20)
        #expect(error.message.contains("single-quoted"))
    }

    @Test("unequal join key counts")
    func joinKeyCounts() throws {
        let error = try #require(syntaxError("sequence [process where true] by a [file where true] by a, b"))
        #expect(error.column == 57)
    }

    @Test("invalid escape sequence")
    func invalidEscape() throws {
        let error = try #require(syntaxError(#"process where a == "C:\Windows""#))
        #expect(error.column == 23)
        #expect(error.found == "`\\W`")
    }

    @Test("trailing comparison")
    func chainedComparison() throws {
        let error = try #require(syntaxError("process where a == 1 == 2"))
        #expect(error.column == 22)
    }

    @Test("unknown function")
    func unknownFunction() throws {
        let error = try #require(try compileError("process where\n  nosuch(process.name)"))
        #expect(error.line == 2)
        #expect(error.column == 3)
        #expect(error.message.contains("unknown function `nosuch`"))
    }

    @Test("wrong arity")
    func wrongArity() throws {
        let error = try #require(try compileError("process where startsWith(process.name)"))
        #expect(error.line == 1)
        #expect(error.column == 15)
        #expect(error.message.contains("takes 2 arguments, but 1 were given"))
        let cidr = try #require(try compileError("process where cidrMatch(destination.ip)"))
        #expect(cidr.message.contains("at least 2 arguments"))
    }

    @Test("invalid CIDR block")
    func invalidBlock() throws {
        let error = try #require(try compileError("network where cidrMatch(destination.ip, \"10.0.0.0/33\")"))
        #expect(error.column == 41)
    }

    @Test("tilde on a function without a case-insensitive form")
    func tildeNotAllowed() throws {
        let error = try #require(try compileError("process where length~(process.name) > 1"))
        #expect(error.message.contains("no case-insensitive"))
    }

    @Test("non-boolean condition")
    func nonBooleanCondition() throws {
        let error = try #require(try compileError("process where 1 + 2"))
        #expect(error.column == 17)
    }
}
