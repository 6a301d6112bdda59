import EQL
import Testing

@Suite("Functions")
struct FunctionTests {
    private let path: [String: EQLValue] = [
        "file.path": .string("C:\\Windows\\System32\\cmd.exe"), "file.name": .string("cmd.exe"),
        "count": .integer(4),
    ]

    private func check(_ condition: String) throws -> Bool {
        try evaluate("file where \(condition)", path, category: "file")
    }

    @Test("startsWith, endsWith and stringContains")
    func substrings() throws {
        #expect(try check(#"startsWith(file.path, "C:\\Windows")"#))
        #expect(try !check(#"startsWith(file.path, "c:\\windows")"#))
        #expect(try check(#"startsWith~(file.path, "c:\\windows")"#))
        #expect(try check(#"endsWith(file.name, ".exe")"#))
        #expect(try check(#"endsWith~(file.name, ".EXE")"#))
        #expect(try check(#"stringContains(file.path, "System32")"#))
        #expect(try !check(#"stringContains(file.path, "system32")"#))
        #expect(try check(#"stringContains~(file.path, "system32")"#))
        #expect(try check(#"not startsWith(missing.field, "a")"#))
    }

    @Test("length and concat")
    func lengthAndConcat() throws {
        #expect(try check("length(file.name) == 7"))
        #expect(try check(#"concat(file.name, "-", count) == "cmd.exe-4""#))
        #expect(try !check(#"concat(file.name, missing.field) == "cmd.exe""#))
    }

    @Test("between")
    func between() throws {
        #expect(try check(#"between(file.path, "System32\\", ".exe") == "cmd""#))
        #expect(try check(#"between(file.path, "system32\\", ".exe") == """#))
        #expect(try check(#"between~(file.path, "system32\\", ".EXE") == "cmd""#))
        #expect(try check(#"between(file.path, "\\", "\\", true) == "Windows\\System32""#))
        #expect(try check(#"between(file.path, "\\", "\\", false) == "Windows""#))
    }

    @Test("indexOf")
    func indexOf() throws {
        #expect(try check(#"indexOf(file.name, "exe") == 4"#))
        #expect(try check(#"indexOf(file.name, "c", 1) == null"#) == false)
        #expect(try check(#"indexOf~(file.name, "CMD") == 0"#))
        #expect(try check(#"indexOf(file.name, "z") == null"#) == false)
        #expect(try !check(#"indexOf(file.name, "z") == 0"#))
    }

    @Test("substring with negative indices")
    func substring() throws {
        #expect(try check(#"substring(file.name, 0, 3) == "cmd""#))
        #expect(try check(#"substring(file.name, -3) == "exe""#))
        #expect(try check(#"substring(file.name, 4, -1) == "ex""#))
        #expect(try check(#"substring(file.name, 5, 2) == """#))
    }

    @Test("arithmetic functions")
    func arithmetic() throws {
        #expect(try check("add(count, 5) == 9"))
        #expect(try check("add(count, 0.5) == 4.5"))
        #expect(try check("subtract(count, 6) == -2"))
        #expect(try check("multiply(count, 3) == 12"))
        #expect(try check("divide(count, 3) == 1"))
        #expect(try check("divide(count, 0.5) == 8.0"))
        #expect(try check("modulo(count, 3) == 1"))
        #expect(try !check("add(missing.field, 1) == 1"))
    }

    @Test("number and string")
    func conversions() throws {
        #expect(try check(#"number("42") == 42"#))
        #expect(try check(#"number("2.5") == 2.5"#))
        #expect(try check(#"number("ff", 16) == 255"#))
        #expect(try check(#"number("0x1F", 16) == 31"#))
        #expect(try !check(#"number("abc") == 0"#))
        #expect(try check(#"string(count) == "4""#))
    }

    @Test("argument kinds are checked")
    func argumentKinds() throws {
        let lengthError = try #require(try compileError("process where length(5) == 1"))
        #expect(lengthError.column == 22)
        let addError = try #require(try compileError(#"process where add("a", 1) == 1"#))
        #expect(addError.column == 19)
    }
}
