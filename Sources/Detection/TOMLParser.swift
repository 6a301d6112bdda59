import EQL

/// A TOML document that could not be parsed, with the 1-based line and column of the offending character.
///
/// Columns count Unicode scalars, as the EQL lexer does.
public struct TOMLError: Error, CustomStringConvertible, Equatable, Sendable {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, _ message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    init(at position: SourcePosition, _ message: String) {
        self.init(line: position.line, column: position.column, message)
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// A parsed TOML value with the position where it starts.
struct TOMLNode {
    var value: TOMLValue
    var position: SourcePosition
}

/// The value kinds of TOML 1.0 that rule files use. Dates and times are rejected by the parser.
indirect enum TOMLValue {
    /// A string with the file position of each of its Unicode scalars, followed by the position of the closing
    /// delimiter, so that positions inside the string can be traced back to the file.
    case string(String, positions: [SourcePosition])
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// An array written as `[…]`.
    case array([TOMLNode])
    /// An array of tables built by `[[name]]` headers. Each element is a `.table` node.
    case tableArray([TOMLNode])
    case table(TOMLTable)

    /// The kind as an error message names it.
    var kindDescription: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        case .tableArray: "an array of tables"
        case .table: "a table"
        }
    }
}

/// A TOML table: its key-value pairs in file order and how it came to exist.
struct TOMLTable {
    /// How a table was created, which decides whether a later header or dotted key may add to it.
    enum Origin {
        /// Created as a parent by a header such as `[a.b]` for `a`. A later `[a]` header may still define it.
        case implicit
        /// Defined by its own `[name]` header or as an element of `[[name]]`.
        case header
        /// Created by a dotted key such as `a.b = 1`.
        case dotted
        /// Written inline as `{ … }`, so nothing may add to it afterwards.
        case inline
    }

    var entries: [(key: String, node: TOMLNode)] = []
    var origin: Origin
    /// The position of the header, the first key, or the `{` that created the table.
    var position: SourcePosition

    subscript(key: String) -> TOMLNode? {
        entries.first { $0.key == key }?.node
    }

    func index(of key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }
}

/// A parser for the part of TOML 1.0 that detection rule files use: tables, arrays of tables, dotted and quoted
/// keys, the four string forms, integers, floats, booleans, arrays and inline tables.
///
/// Offset dates, local dates and times are rejected with an error that asks for a quoted string.
struct TOMLParser {
    /// One segment of a key with the position where it is written.
    private struct KeySegment {
        var name: String
        var position: SourcePosition
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1
    private var root: TOMLTable
    /// The keys of the table that key-value pairs currently go to, from the last header.
    private var currentPath: [String] = []

    /// Parses a whole document and returns its root table.
    static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(text)
        return try parser.parseDocument()
    }

    private init(_ text: String) {
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" {
            scalars.removeFirst()
        }
        self.scalars = scalars
        root = TOMLTable(origin: .header, position: SourcePosition(line: 1, column: 1))
    }

    // MARK: - Reading characters

    private var position: SourcePosition { SourcePosition(line: line, column: column) }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let at = index + offset
        return at < scalars.count ? scalars[at] : nil
    }

    private mutating func advance() {
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func advance(by count: Int) {
        for _ in 0..<count {
            advance()
        }
    }

    private func hasPrefix(_ text: String) -> Bool {
        for (offset, scalar) in text.unicodeScalars.enumerated() where peek(offset) != scalar {
            return false
        }
        return true
    }

    /// The current character as an error message shows it.
    private var found: String {
        guard let scalar = peek() else {
            return "end of file"
        }
        if scalar == "\n" || (scalar == "\r" && peek(1) == "\n") {
            return "end of line"
        }
        if scalar.value < 0x20 || scalar.value == 0x7F {
            return "control character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        return "`\(scalar)`"
    }

    private func error(expected: String) -> TOMLError {
        TOMLError(at: position, "expected \(expected), found \(found)")
    }

    private mutating func skipSpaces() {
        while let scalar = peek(), scalar == " " || scalar == "\t" {
            advance()
        }
    }

    private mutating func skipComment() {
        guard peek() == "#" else {
            return
        }
        while let scalar = peek(), scalar != "\n", !(scalar == "\r" && peek(1) == "\n") {
            advance()
        }
    }

    /// Consumes one LF or CRLF line break and returns whether there was one.
    private mutating func skipNewline() -> Bool {
        if peek() == "\n" {
            advance()
            return true
        }
        if peek() == "\r" && peek(1) == "\n" {
            advance()
            advance()
            return true
        }
        return false
    }

    /// Skips spaces, comments and line breaks, as allowed between the elements of an array.
    private mutating func skipBlankLines() {
        while true {
            skipSpaces()
            skipComment()
            if !skipNewline() {
                return
            }
        }
    }

    // MARK: - Document

    private mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        while true {
            skipSpaces()
            skipComment()
            if skipNewline() {
                continue
            }
            guard peek() != nil else {
                return root
            }
            if peek() == "[" {
                try parseHeader()
            } else {
                try parseKeyValue()
            }
            skipSpaces()
            skipComment()
            guard peek() == nil || skipNewline() else {
                throw error(expected: "a line break or a comment")
            }
        }
    }

    /// Parses `[a.b]` or `[[a.b]]` and makes it the current table.
    private mutating func parseHeader() throws(TOMLError) {
        let start = position
        let isArray = peek(1) == "["
        advance()
        if isArray {
            advance()
        }
        skipSpaces()
        let keys = try parseKey()
        skipSpaces()
        let closing = isArray ? "]]" : "]"
        guard hasPrefix(closing) else {
            throw error(expected: "`\(closing)` to close the table header")
        }
        for _ in closing.unicodeScalars {
            advance()
        }
        let names = keys.map(\.name)
        let header = "[\(isArray ? "[" : "")\(names.joined(separator: "."))\(isArray ? "]" : "")]"
        try Self.defineTable(in: &root, keys: keys[...], isArray: isArray, header: header, at: start)
        currentPath = names
    }

    /// Walks `keys` from `table`, creating implicit parents and entering the last element of arrays of tables, and
    /// defines the table that the header names.
    private static func defineTable(
        in table: inout TOMLTable, keys: ArraySlice<KeySegment>, isArray: Bool, header: String, at start: SourcePosition
    ) throws(TOMLError) {
        let key = keys.first!
        let rest = keys.dropFirst()
        guard let index = table.index(of: key.name) else {
            if rest.isEmpty {
                let defined = TOMLTable(origin: .header, position: start)
                let node = TOMLNode(value: .table(defined), position: start)
                table.entries.append((key.name, isArray ? TOMLNode(value: .tableArray([node]), position: start) : node))
            } else {
                var parent = TOMLTable(origin: .implicit, position: start)
                try defineTable(in: &parent, keys: rest, isArray: isArray, header: header, at: start)
                table.entries.append((key.name, TOMLNode(value: .table(parent), position: start)))
            }
            return
        }
        let existing = table.entries[index].node
        switch existing.value {
        case .table(var child) where !rest.isEmpty && child.origin != .inline:
            try defineTable(in: &child, keys: rest, isArray: isArray, header: header, at: start)
            table.entries[index].node.value = .table(child)
        case .table(var child) where rest.isEmpty && !isArray && child.origin == .implicit:
            child.origin = .header
            child.position = start
            table.entries[index].node.value = .table(child)
        case .tableArray(var elements) where !rest.isEmpty:
            guard case .table(var last) = elements[elements.count - 1].value else {
                return
            }
            try defineTable(in: &last, keys: rest, isArray: isArray, header: header, at: start)
            elements[elements.count - 1].value = .table(last)
            table.entries[index].node.value = .tableArray(elements)
        case .tableArray(var elements) where rest.isEmpty && isArray:
            let element = TOMLTable(origin: .header, position: start)
            elements.append(TOMLNode(value: .table(element), position: start))
            table.entries[index].node.value = .tableArray(elements)
        default:
            throw TOMLError(
                at: key.position,
                "\(header) conflicts with key `\(key.name)`, already defined as \(existing.value.kindDescription) "
                    + "on line \(existing.position.line); each table may be defined once")
        }
    }

    // MARK: - Keys

    /// Parses a dotted key such as `rule.threat` or `"a b".'c'`.
    private mutating func parseKey() throws(TOMLError) -> [KeySegment] {
        var segments = [try parseSimpleKey()]
        while true {
            let save = (index, line, column)
            skipSpaces()
            guard peek() == "." else {
                (index, line, column) = save
                return segments
            }
            advance()
            skipSpaces()
            segments.append(try parseSimpleKey())
        }
    }

    private mutating func parseSimpleKey() throws(TOMLError) -> KeySegment {
        let start = position
        if peek() == "\"" {
            if hasPrefix("\"\"\"") {
                throw TOMLError(at: start, "expected a key, found a multi-line string; keys are written on one line")
            }
            return KeySegment(name: try parseBasicString().text, position: start)
        }
        if peek() == "'" {
            if hasPrefix("'''") {
                throw TOMLError(at: start, "expected a key, found a multi-line string; keys are written on one line")
            }
            return KeySegment(name: try parseLiteralString().text, position: start)
        }
        var name = String.UnicodeScalarView()
        while let scalar = peek(), Self.isBareKeyScalar(scalar) {
            name.append(scalar)
            advance()
        }
        guard !name.isEmpty else {
            throw error(expected: "a key (letters, digits, `_`, `-`, or a quoted string)")
        }
        return KeySegment(name: String(name), position: start)
    }

    private static func isBareKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
            || scalar == "_" || scalar == "-"
    }

    // MARK: - Key-value pairs

    private mutating func parseKeyValue() throws(TOMLError) {
        let (keys, node) = try parseKeyValuePair()
        try Self.modifyTable(in: &root, path: currentPath[...]) { (table) throws(TOMLError) in
            try Self.insert(node, keys: keys[...], into: &table)
        }
    }

    /// Parses `key = value` on the current line.
    private mutating func parseKeyValuePair() throws(TOMLError) -> ([KeySegment], TOMLNode) {
        let keys = try parseKey()
        skipSpaces()
        guard peek() == "=" else {
            throw error(expected: "`=` after the key `\(keys.map(\.name).joined(separator: "."))`")
        }
        advance()
        skipSpaces()
        return (keys, try parseValue())
    }

    /// Calls `body` on the table at `path`, entering the last element of arrays of tables on the way.
    private static func modifyTable(
        in table: inout TOMLTable, path: ArraySlice<String>, _ body: (inout TOMLTable) throws(TOMLError) -> Void
    ) throws(TOMLError) {
        guard let key = path.first else {
            try body(&table)
            return
        }
        // The header that set the path created every step of it, so each key exists and holds a table.
        guard let index = table.index(of: key) else {
            return
        }
        switch table.entries[index].node.value {
        case .table(var child):
            try modifyTable(in: &child, path: path.dropFirst(), body)
            table.entries[index].node.value = .table(child)
        case .tableArray(var elements):
            guard case .table(var last) = elements[elements.count - 1].value else {
                return
            }
            try modifyTable(in: &last, path: path.dropFirst(), body)
            elements[elements.count - 1].value = .table(last)
            table.entries[index].node.value = .tableArray(elements)
        default:
            return
        }
    }

    /// Inserts `node` under the dotted `keys`, creating the intermediate tables that dotted keys define.
    private static func insert(_ node: TOMLNode, keys: ArraySlice<KeySegment>, into table: inout TOMLTable)
        throws(TOMLError)
    {
        let key = keys.first!
        let rest = keys.dropFirst()
        guard let index = table.index(of: key.name) else {
            if rest.isEmpty {
                table.entries.append((key.name, node))
            } else {
                var child = TOMLTable(origin: .dotted, position: key.position)
                try insert(node, keys: rest, into: &child)
                table.entries.append((key.name, TOMLNode(value: .table(child), position: key.position)))
            }
            return
        }
        let existing = table.entries[index].node
        if !rest.isEmpty, case .table(var child) = existing.value, child.origin == .dotted {
            try insert(node, keys: rest, into: &child)
            table.entries[index].node.value = .table(child)
            return
        }
        throw TOMLError(
            at: key.position,
            "duplicate key `\(key.name)`: it is already defined as \(existing.value.kindDescription) on line "
                + "\(existing.position.line)")
    }

    // MARK: - Values

    private mutating func parseValue() throws(TOMLError) -> TOMLNode {
        let start = position
        guard let scalar = peek() else {
            throw error(expected: "a value")
        }
        switch scalar {
        case "\"":
            if hasPrefix("\"\"\"") {
                let (text, positions) = try parseMultilineBasicString()
                return TOMLNode(value: .string(text, positions: positions), position: start)
            }
            let (text, positions) = try parseBasicString()
            return TOMLNode(value: .string(text, positions: positions), position: start)
        case "'":
            if hasPrefix("'''") {
                let (text, positions) = try parseMultilineLiteralString()
                return TOMLNode(value: .string(text, positions: positions), position: start)
            }
            let (text, positions) = try parseLiteralString()
            return TOMLNode(value: .string(text, positions: positions), position: start)
        case "[":
            return TOMLNode(value: .array(try parseArray()), position: start)
        case "{":
            return TOMLNode(value: .table(try parseInlineTable()), position: start)
        default:
            break
        }
        if Self.isBareKeyScalar(scalar) || scalar == "+" {
            return TOMLNode(value: try parseBareValue(), position: start)
        }
        throw error(expected: "a value (a quoted string, number, boolean, array or inline table)")
    }

    /// Parses `[value, value, …]`, where line breaks, comments and a trailing comma are allowed.
    private mutating func parseArray() throws(TOMLError) -> [TOMLNode] {
        advance()
        var items: [TOMLNode] = []
        while true {
            skipBlankLines()
            if peek() == "]" {
                advance()
                return items
            }
            items.append(try parseValue())
            skipBlankLines()
            if peek() == "," {
                advance()
                continue
            }
            guard peek() == "]" else {
                throw error(expected: "`,` or `]` after an array element")
            }
        }
    }

    /// Parses `{ key = value, … }` on one line, without a trailing comma, as TOML 1.0 requires.
    private mutating func parseInlineTable() throws(TOMLError) -> TOMLTable {
        var table = TOMLTable(origin: .inline, position: position)
        advance()
        skipSpaces()
        if peek() == "}" {
            advance()
            return table
        }
        while true {
            skipSpaces()
            let (keys, node) = try parseKeyValuePair()
            try Self.insert(node, keys: keys[...], into: &table)
            skipSpaces()
            if peek() == "," {
                advance()
                continue
            }
            guard peek() == "}" else {
                throw error(expected: "`,` or `}` in an inline table, which must be written on one line")
            }
            advance()
            Self.freeze(&table)
            return table
        }
    }

    /// Marks an inline table and the tables its dotted keys created as closed to later headers and keys.
    private static func freeze(_ table: inout TOMLTable) {
        table.origin = .inline
        for index in table.entries.indices {
            if case .table(var child) = table.entries[index].node.value {
                freeze(&child)
                table.entries[index].node.value = .table(child)
            }
        }
    }

    // MARK: - Strings

    /// Parses `"…"` with escapes, on one line.
    private mutating func parseBasicString() throws(TOMLError) -> (text: String, positions: [SourcePosition]) {
        let start = position
        advance()
        var text = String.UnicodeScalarView()
        var positions: [SourcePosition] = []
        while true {
            guard let scalar = peek(), scalar != "\n", !(scalar == "\r" && peek(1) == "\n") else {
                throw TOMLError(
                    at: position,
                    "unterminated string starting at line \(start.line), column \(start.column): expected a closing "
                        + "`\"`, found \(found)")
            }
            if scalar == "\"" {
                positions.append(position)
                advance()
                return (String(text), positions)
            }
            positions.append(position)
            if scalar == "\\" {
                text.append(try parseEscape())
                continue
            }
            try checkStringScalar(scalar)
            text.append(scalar)
            advance()
        }
    }

    /// Parses `"""…"""`. A line break right after the opening quotes is dropped, a backslash at the end of a line
    /// removes the line break and the whitespace that follows it, and CRLF becomes LF.
    private mutating func parseMultilineBasicString() throws(TOMLError) -> (text: String, positions: [SourcePosition])
    {
        let start = position
        advance(by: 3)
        _ = skipNewline()
        var text = String.UnicodeScalarView()
        var positions: [SourcePosition] = []
        while true {
            guard let scalar = peek() else {
                throw TOMLError(
                    at: position,
                    "unterminated multi-line string starting at line \(start.line), column \(start.column): "
                        + "expected a closing `\"\"\"`, found end of file")
            }
            if hasPrefix("\"\"\"") {
                try appendClosingQuotes("\"", to: &text, positions: &positions)
                return (String(text), positions)
            }
            if scalar == "\\" && isLineEndingBackslash() {
                advance()
                while let next = peek(), next == " " || next == "\t" || next == "\n" || next == "\r" {
                    advance()
                }
                continue
            }
            positions.append(position)
            if scalar == "\\" {
                text.append(try parseEscape())
            } else if skipNewline() {
                text.append("\n")
            } else {
                try checkStringScalar(scalar)
                text.append(scalar)
                advance()
            }
        }
    }

    /// Returns whether the backslash at the current position is followed only by spaces or tabs up to the line end.
    private func isLineEndingBackslash() -> Bool {
        var offset = 1
        while let next = peek(offset), next == " " || next == "\t" {
            offset += 1
        }
        return peek(offset) == "\n" || (peek(offset) == "\r" && peek(offset + 1) == "\n")
    }

    /// Parses `'…'`, taken as written, on one line.
    private mutating func parseLiteralString() throws(TOMLError) -> (text: String, positions: [SourcePosition]) {
        let start = position
        advance()
        var text = String.UnicodeScalarView()
        var positions: [SourcePosition] = []
        while true {
            guard let scalar = peek(), scalar != "\n", !(scalar == "\r" && peek(1) == "\n") else {
                throw TOMLError(
                    at: position,
                    "unterminated literal string starting at line \(start.line), column \(start.column): expected a "
                        + "closing `'`, found \(found)")
            }
            positions.append(position)
            if scalar == "'" {
                advance()
                return (String(text), positions)
            }
            try checkStringScalar(scalar)
            text.append(scalar)
            advance()
        }
    }

    /// Parses `'''…'''`, taken as written except that a line break right after the opening quotes is dropped and
    /// CRLF becomes LF.
    private mutating func parseMultilineLiteralString() throws(TOMLError)
        -> (text: String, positions: [SourcePosition])
    {
        let start = position
        advance(by: 3)
        _ = skipNewline()
        var text = String.UnicodeScalarView()
        var positions: [SourcePosition] = []
        while true {
            guard let scalar = peek() else {
                throw TOMLError(
                    at: position,
                    "unterminated multi-line literal string starting at line \(start.line), column \(start.column): "
                        + "expected a closing `'''`, found end of file")
            }
            if hasPrefix("'''") {
                try appendClosingQuotes("'", to: &text, positions: &positions)
                return (String(text), positions)
            }
            positions.append(position)
            if skipNewline() {
                text.append("\n")
            } else {
                try checkStringScalar(scalar)
                text.append(scalar)
                advance()
            }
        }
    }

    /// Consumes the closing delimiter of a multi-line string. Up to two quotes before it belong to the content,
    /// so `""""` ends a string whose last character is `"`.
    private mutating func appendClosingQuotes(
        _ quote: Unicode.Scalar, to text: inout String.UnicodeScalarView, positions: inout [SourcePosition]
    ) throws(TOMLError) {
        var count = 0
        while peek(count) == quote {
            count += 1
        }
        guard count <= 5 else {
            throw TOMLError(
                at: position, "expected at most five quotes at the end of a multi-line string, found \(count)")
        }
        for _ in 0..<(count - 3) {
            positions.append(position)
            text.append(quote)
            advance()
        }
        positions.append(position)
        advance(by: 3)
    }

    /// Rejects control characters other than tab, which TOML strings must escape.
    private func checkStringScalar(_ scalar: Unicode.Scalar) throws(TOMLError) {
        if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F {
            throw error(expected: "a string character or an escape such as `\\n`")
        }
    }

    /// Parses one escape sequence: `\b \t \n \f \r \" \\`, `\uXXXX` or `\UXXXXXXXX`.
    private mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
        let start = position
        advance()
        guard let letter = peek() else {
            throw error(expected: "an escape sequence after `\\`")
        }
        let simple: Unicode.Scalar? =
            switch letter {
            case "b": "\u{08}"
            case "t": "\t"
            case "n": "\n"
            case "f": "\u{0C}"
            case "r": "\r"
            case "\"": "\""
            case "\\": "\\"
            default: nil
            }
        if let simple {
            advance()
            return simple
        }
        guard letter == "u" || letter == "U" else {
            throw TOMLError(
                at: start,
                "invalid escape sequence `\\\(letter)`: expected one of \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX "
                    + "\\UXXXXXXXX; write `\\\\` for a backslash or use a '…' literal string")
        }
        advance()
        let length = letter == "u" ? 4 : 8
        var digits = ""
        for _ in 0..<length {
            guard let digit = peek(), digit.properties.isASCIIHexDigit else {
                throw TOMLError(at: start, "invalid escape sequence: expected \(length) hex digits after `\\\(letter)`")
            }
            digits.unicodeScalars.append(digit)
            advance()
        }
        guard let code = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(code) else {
            throw TOMLError(at: start, "invalid escape sequence `\\\(letter)\(digits)`: not a Unicode scalar value")
        }
        return scalar
    }

    // MARK: - Numbers

    /// Parses a boolean, an integer (decimal, `0x`, `0o` or `0b`, with `_` between digits) or a float (with a
    /// fraction, an exponent, `inf` or `nan`).
    private mutating func parseBareValue() throws(TOMLError) -> TOMLValue {
        let start = position
        var token = ""
        while let scalar = peek(), Self.isBareKeyScalar(scalar) || scalar == "+" || scalar == "." || scalar == ":" {
            token.unicodeScalars.append(scalar)
            advance()
        }
        switch token {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        default: break
        }
        if Self.looksLikeDateOrTime(token) {
            throw TOMLError(
                at: start,
                "dates and times are not supported: found `\(token)`, expected a quoted string such as \"\(token)\"")
        }
        guard let value = Self.number(from: token) else {
            throw TOMLError(
                at: start,
                "expected a value (a quoted string, number, boolean, array or inline table), found `\(token)`")
        }
        return value
    }

    private static func looksLikeDateOrTime(_ token: String) -> Bool {
        let scalars = Array(token.unicodeScalars)
        func isDigit(_ at: Int) -> Bool { at < scalars.count && scalars[at] >= "0" && scalars[at] <= "9" }
        let isDate = scalars.count >= 5 && (0..<4).allSatisfy(isDigit) && scalars[4] == "-"
        let isTime = scalars.count >= 3 && isDigit(0) && isDigit(1) && scalars[2] == ":"
        return isDate || isTime
    }

    /// Converts a number token, or returns `nil` when TOML does not allow it.
    static func number(from token: String) -> TOMLValue? {
        var body = Substring(token)
        var sign = ""
        if body.hasPrefix("+") || body.hasPrefix("-") {
            sign = String(body.removeFirst())
        }
        switch body {
        case "inf": return .float(sign == "-" ? -.infinity : .infinity)
        case "nan": return .float(.nan)
        default: break
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
            let digits = body.dropFirst(2)
            guard sign.isEmpty, let plain = digitsWithoutUnderscores(digits, radix: radix),
                let value = Int64(plain, radix: radix)
            else {
                return nil
            }
            return .integer(value)
        }
        var integerPart = body
        var fraction: Substring?
        var exponent: Substring?
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = body[body.index(after: e)...]
            integerPart = body[..<e]
        }
        if let dot = integerPart.firstIndex(of: ".") {
            fraction = integerPart[integerPart.index(after: dot)...]
            integerPart = integerPart[..<dot]
        }
        guard let integerDigits = digitsWithoutUnderscores(integerPart, radix: 10),
            integerDigits == "0" || !integerDigits.hasPrefix("0")
        else {
            return nil
        }
        if fraction == nil && exponent == nil {
            return Int64(sign + integerDigits).map { .integer($0) }
        }
        var text = sign + integerDigits
        if let fraction {
            guard let digits = digitsWithoutUnderscores(fraction, radix: 10) else {
                return nil
            }
            text += "." + digits
        }
        if var exponent {
            var exponentSign = ""
            if exponent.hasPrefix("+") || exponent.hasPrefix("-") {
                exponentSign = String(exponent.removeFirst())
            }
            guard let digits = digitsWithoutUnderscores(exponent, radix: 10) else {
                return nil
            }
            text += "e" + exponentSign + digits
        }
        return Double(text).map { .float($0) }
    }

    /// Returns `digits` without its underscores, or `nil` when it is empty, has a character outside `radix`, or has
    /// an underscore that is not between two digits.
    private static func digitsWithoutUnderscores(_ digits: Substring, radix: Int) -> String? {
        guard let first = digits.first, let last = digits.last, first != "_", last != "_", !digits.contains("__") else {
            return nil
        }
        let plain = digits.filter { $0 != "_" }
        for character in plain {
            guard character.isASCII, let value = character.hexDigitValue, value < radix else {
                return nil
            }
        }
        return plain
    }
}
