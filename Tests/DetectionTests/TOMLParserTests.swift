import EQL
import Testing

@testable import Detection

@Suite("TOML parser")
struct TOMLParserTests {
    /// Parses `text` and returns its root as JSON, which is easy to compare.
    func parseJSON(_ text: String) throws -> JSONValue {
        RuleLoader.jsonValue(of: .table(try TOMLParser.parse(text)))
    }

    /// Returns the error that parsing `text` throws, or `nil` when it parses.
    func parseError(_ text: String) -> TOMLError? {
        do {
            _ = try TOMLParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    /// Returns the string at `key` of the root table with its scalar positions.
    func stringNode(_ key: String, in text: String) throws -> (text: String, positions: [SourcePosition]) {
        let root = try TOMLParser.parse(text)
        guard case .string(let value, let positions)? = root[key]?.value else {
            Issue.record("\(key) is not a string")
            return ("", [])
        }
        return (value, positions)
    }

    @Test("tables and arrays of tables")
    func tablesAndArrays() throws {
        let text = """
            [metadata]
            maturity = "production"

            [rule]
            name = "N"

            [[rule.threat]]
            framework = "MITRE ATT&CK"
            [[rule.threat.technique]]
            id = "T1218"
            [[rule.threat.technique.subtechnique]]
            id = "T1218.001"
            [[rule.threat.technique]]
            id = "T1059"

            [rule.threat.tactic]
            id = "TA0005"

            [[rule.threat]]
            framework = "MITRE ATT&CK"

            [rule.threat.tactic]
            id = "TA0002"
            """
        let root = try parseJSON(text)
        #expect(root["metadata"]?["maturity"] == .string("production"))
        #expect(root["rule"]?["name"] == .string("N"))
        let threat = try #require(root["rule"]?["threat"]?.arrayValue)
        #expect(threat.count == 2)
        #expect(threat[0]["tactic"]?["id"] == .string("TA0005"))
        #expect(threat[1]["tactic"]?["id"] == .string("TA0002"))
        #expect(threat[1]["technique"] == nil)
        let techniques = try #require(threat[0]["technique"]?.arrayValue)
        #expect(techniques.map { $0["id"] } == [.string("T1218"), .string("T1059")])
        #expect(techniques[0]["subtechnique"]?.arrayValue?.first?["id"] == .string("T1218.001"))
        #expect(techniques[1]["subtechnique"] == nil)
    }

    @Test("basic string escapes")
    func basicStringEscapes() throws {
        let root = try parseJSON(#"s = "tab\there \"q\" back\\slash \u00e9 \U0001F600 \b\f\r\n""#)
        #expect(root["s"] == .string("tab\there \"q\" back\\slash \u{e9} \u{1F600} \u{08}\u{0C}\r\n"))
    }

    @Test("literal string keeps backslashes")
    func literalString() throws {
        let root = try parseJSON(#"path = 'C:\Windows\System32\*.exe'"#)
        #expect(root["path"] == .string(#"C:\Windows\System32\*.exe"#))
    }

    @Test("multi-line basic string")
    func multilineBasicString() throws {
        let text = "s = \"\"\"\nfirst \\\n    second\nthird \\\"\"\" \"\"\"\"\n"
        let root = try parseJSON(text)
        #expect(root["s"] == .string("first second\nthird \"\"\" \""))
    }

    @Test("multi-line literal string")
    func multilineLiteralString() throws {
        let text = "q = '''\nprocess where\n  name : \"a\\\\b\" ''''\n"
        let root = try parseJSON(text)
        #expect(root["q"] == .string("process where\n  name : \"a\\\\b\" '"))
    }

    @Test("CRLF line breaks")
    func crlfLineBreaks() throws {
        let root = try parseJSON("a = 1\r\nq = '''\r\nx\r\ny'''\r\n")
        #expect(root["a"] == .integer(1))
        #expect(root["q"] == .string("x\ny"))
    }

    @Test("integers, floats and booleans")
    func numbersAndBooleans() throws {
        let text = """
            a = 21
            b = +5
            c = -3
            d = 1_000
            e = 0xff
            f = 0o17
            g = 0b101
            h = 2.5
            i = -1e3
            j = 6.02E+2
            k = 1_0.2_5
            l = true
            m = false
            n = 0
            """
        let root = try parseJSON(text)
        #expect(root["a"] == .integer(21))
        #expect(root["b"] == .integer(5))
        #expect(root["c"] == .integer(-3))
        #expect(root["d"] == .integer(1000))
        #expect(root["e"] == .integer(255))
        #expect(root["f"] == .integer(15))
        #expect(root["g"] == .integer(5))
        #expect(root["h"] == .double(2.5))
        #expect(root["i"] == .double(-1000))
        #expect(root["j"] == .double(602))
        #expect(root["k"] == .double(10.25))
        #expect(root["l"] == .bool(true))
        #expect(root["m"] == .bool(false))
        #expect(root["n"] == .integer(0))
    }

    @Test("inf and nan")
    func specialFloats() throws {
        let root = try TOMLParser.parse("a = inf\nb = -inf\nc = nan")
        guard case .float(let a)? = root["a"]?.value, case .float(let b)? = root["b"]?.value,
            case .float(let c)? = root["c"]?.value
        else {
            Issue.record("expected floats")
            return
        }
        #expect(a == .infinity)
        #expect(b == -.infinity)
        #expect(c.isNaN)
    }

    @Test("multi-line arrays with comments")
    func multilineArrays() throws {
        let text = """
            tags = [
              "Elastic",   # vendor
              # a comment line
              "Host",
              [1, 2],
            ]
            empty = [ ]
            """
        let root = try parseJSON(text)
        #expect(root["tags"] == .array([.string("Elastic"), .string("Host"), .array([.integer(1), .integer(2)])]))
        #expect(root["empty"] == .array([]))
    }

    @Test("inline tables and dotted keys")
    func inlineTablesAndDottedKeys() throws {
        let text = """
            point = { x = 1, y.z = "deep" }
            empty = {}
            site."google.com".ok = true
            [rule]
            risk.score = 21
            """
        let root = try parseJSON(text)
        #expect(root["point"]?["x"] == .integer(1))
        #expect(root["point"]?["y"]?["z"] == .string("deep"))
        #expect(root["empty"] == .object([]))
        #expect(root["site"]?["google.com"]?["ok"] == .bool(true))
        #expect(root["rule"]?["risk"]?["score"] == .integer(21))
    }

    @Test("implicit table defined later")
    func implicitTableDefinedLater() throws {
        let root = try parseJSON("[a.b]\nx = 1\n[a]\ny = 2")
        #expect(root["a"]?["b"]?["x"] == .integer(1))
        #expect(root["a"]?["y"] == .integer(2))
    }

    @Test("comments and blank lines")
    func comments() throws {
        let root = try parseJSON("# header\n\n[rule] # the rule\n  name = \"n\" # trailing\n\t# indented\n")
        #expect(root["rule"]?["name"] == .string("n"))
    }

    @Test("string positions in a multi-line literal")
    func multilineLiteralPositions() throws {
        let (text, positions) = try stringNode("q", in: "a = 1\nq = '''\nab\n  c'''\n")
        #expect(text == "ab\n  c")
        // One position per scalar, then the closing delimiter.
        #expect(positions.count == 7)
        #expect(positions[0] == SourcePosition(line: 3, column: 1))
        #expect(positions[2] == SourcePosition(line: 3, column: 3))
        #expect(positions[5] == SourcePosition(line: 4, column: 3))
        #expect(positions[6] == SourcePosition(line: 4, column: 4))
    }

    @Test("string positions across escapes")
    func escapePositions() throws {
        let (text, positions) = try stringNode("s", in: #"s = "a\tb""#)
        #expect(text == "a\tb")
        #expect(positions == [
            SourcePosition(line: 1, column: 6), SourcePosition(line: 1, column: 7), SourcePosition(line: 1, column: 9),
            SourcePosition(line: 1, column: 10),
        ])
    }

    /// A document with an error, the expected error position, and a text the message must contain.
    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var text: String
        var line: Int
        var column: Int
        var message: String

        var testDescription: String { message }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(text: "name = \"abc\nx = 1", line: 1, column: 12,
            message: "expected a closing `\"`, found end of line"),
        ErrorCase(text: "a = 1\nkey \"v\"", line: 2, column: 5,
            message: "expected `=` after the key `key`, found `\"`"),
        ErrorCase(text: "a = 1\na = 2", line: 2, column: 1, message: "duplicate key `a`"),
        ErrorCase(text: "[rule]\n[rule]", line: 2, column: 2, message: "[rule] conflicts with key `rule`"),
        ErrorCase(text: "s = \"bad \\q\"", line: 1, column: 10, message: "invalid escape sequence `\\q`"),
        ErrorCase(text: "a = [1 2]", line: 1, column: 8,
            message: "expected `,` or `]` after an array element, found `2`"),
        ErrorCase(text: "d = 2020-02-18", line: 1, column: 5, message: "dates and times are not supported"),
        ErrorCase(text: "x = yes", line: 1, column: 5, message: "found `yes`"),
        ErrorCase(text: "q = '''\nabc\n", line: 3, column: 1, message: "expected a closing `'''`, found end of file"),
        ErrorCase(text: "a = 1 2", line: 1, column: 7, message: "expected a line break or a comment, found `2`"),
        ErrorCase(text: "t = { a = 1,\n b = 2 }", line: 1, column: 13, message: "expected a key"),
        ErrorCase(text: "n = 012", line: 1, column: 5, message: "found `012`"),
        ErrorCase(text: "n = 1__0", line: 1, column: 5, message: "found `1__0`"),
        ErrorCase(text: "[a]\nb = 1\n[a.b]", line: 3, column: 4, message: "[a.b] conflicts with key `b`"),
        ErrorCase(text: "a = [1]\n[[a]]", line: 2, column: 3, message: "[[a]] conflicts with key `a`"),
        ErrorCase(text: "t = { a = 1 }\n[t.b]", line: 2, column: 2, message: "[t.b] conflicts with key `t`"),
        ErrorCase(text: "[rule\nname = 1", line: 1, column: 6, message: "expected `]` to close the table header"),
        ErrorCase(text: "= 1", line: 1, column: 1, message: "expected a key"),
    ]

    @Test("error positions", arguments: errorCases)
    func errorPositions(_ errorCase: ErrorCase) throws {
        let error = try #require(parseError(errorCase.text))
        #expect(error.line == errorCase.line)
        #expect(error.column == errorCase.column)
        #expect(error.message.contains(errorCase.message), "\(error.message)")
    }
}
