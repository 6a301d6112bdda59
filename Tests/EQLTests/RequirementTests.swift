import EQL
import Testing

/// The requirement a filter derives from its query: what an event must hold for the filter to match.
@Suite("Filter requirements")
struct RequirementTests {
    /// Compiles `query` over a table that registers `event.category` first, then `process.name`, then `x`.
    func requirement(_ query: String) throws -> Requirement {
        guard case .event(let event) = try EQLParser.parse(query).body else {
            Issue.record("expected an event query: \(query)")
            return .anything
        }
        let table = FieldTable()
        for name in ["event.category", "process.name", "x"] { table.slot(for: name) }
        return try EQLCompiler.compileFilter(event, fields: table).requirement
    }

    @Test("equality, membership and patterns without wildcards give value lists")
    func valueLists() throws {
        #expect(try requirement(#"any where process.name == "A.exe""#) == .oneOf(slot: 1, values: ["A.exe"], ignoringCase: false))
        #expect(try requirement(#"any where "A.exe" == process.name"#) == .oneOf(slot: 1, values: ["A.exe"], ignoringCase: false))
        #expect(try requirement(#"any where process.name in ("A", "b")"#) == .oneOf(slot: 1, values: ["A", "b"], ignoringCase: false))
        #expect(try requirement(#"any where process.name in~ ("A", "b")"#) == .oneOf(slot: 1, values: ["a", "b"], ignoringCase: true))
        #expect(try requirement(#"any where process.name : ("A.EXE", "b")"#) == .oneOf(slot: 1, values: ["a.exe", "b"], ignoringCase: true))
        #expect(try requirement(#"any where process.name like "A""#) == .oneOf(slot: 1, values: ["A"], ignoringCase: false))
        #expect(try requirement(#"any where process.name like~ "A""#) == .oneOf(slot: 1, values: ["a"], ignoringCase: true))
    }

    @Test("the category joins the condition")
    func category() throws {
        #expect(try requirement(#"process where process.name == "a" and x == "b""#) == .all([
            .oneOf(slot: 0, values: ["process"], ignoringCase: false),
            .all([.oneOf(slot: 1, values: ["a"], ignoringCase: false), .oneOf(slot: 2, values: ["b"], ignoringCase: false)]),
        ]))
        #expect(try requirement(#"process where true"#) == .oneOf(slot: 0, values: ["process"], ignoringCase: false))
    }

    @Test("or needs both sides known")
    func disjunction() throws {
        #expect(try requirement(#"any where process.name == "a" or x == "b""#) == .any([
            .oneOf(slot: 1, values: ["a"], ignoringCase: false), .oneOf(slot: 2, values: ["b"], ignoringCase: false),
        ]))
        #expect(try requirement(#"any where process.name == "a" or x != "b""#) == .anything)
    }

    @Test("what a value list cannot express gives no requirement", arguments: [
        #"any where not process.name == "a""#,
        #"any where process.name != "a""#,
        #"any where process.name not in ("a")"#,
        #"any where process.name : "*.exe""#,
        #"any where process.name like "a?""#,
        #"any where process.name : "é""#,
        #"any where process.name in ("a", 1)"#,
        #"any where process.name regex "a""#,
        #"any where x == 1"#,
        #"any where startsWith(process.name, "a")"#,
        #"any where length(process.name) == "3""#,
    ])
    func unknown(_ query: String) throws {
        #expect(try requirement(query) == .anything)
    }
}
