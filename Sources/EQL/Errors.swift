/// A 1-based line and column in the query text.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// A query text that does not follow the EQL grammar.
public struct EQLSyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The 1-based line of the offending token.
    public var line: Int
    /// The 1-based column of the offending token.
    public var column: Int
    /// The offending token as written, or `end of input`.
    public var found: String
    /// The tokens or constructs that the grammar allows at this point.
    public var expected: String
    /// A sentence that explains the error.
    public var message: String

    public init(line: Int, column: Int, found: String, expected: String, message: String) {
        self.line = line
        self.column = column
        self.found = found
        self.expected = expected
        self.message = message
    }

    init(at position: SourcePosition, found: String, expected: String, message: String) {
        self.init(line: position.line, column: position.column, found: found, expected: expected, message: message)
    }

    public var description: String {
        "line \(line), column \(column): \(message) (found \(found), expected \(expected))"
    }
}

/// A query that parses but cannot be compiled: an unknown function, a wrong argument count or an argument of the
/// wrong kind.
public struct EQLCompileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The 1-based line of the offending expression.
    public var line: Int
    /// The 1-based column of the offending expression.
    public var column: Int
    /// A sentence that explains the error.
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    init(at position: SourcePosition, _ message: String) {
        self.init(line: position.line, column: position.column, message: message)
    }

    public var description: String {
        "line \(line), column \(column): \(message)"
    }
}
