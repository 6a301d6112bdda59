/// Splits an EQL query text into tokens, skipping whitespace and `//` and `/* */` comments.
struct Lexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    /// Returns all tokens of the text, ending with one `.endOfInput` token.
    static func tokenize(_ text: String) throws -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if case .endOfInput = token.kind {
                return tokens
            }
        }
    }

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

    private func text(from start: Int) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[start..<index])
        return String(result)
    }

    private mutating func skipTrivia() throws {
        while let scalar = peek() {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                advance()
            } else if scalar == "/" && peek(1) == "/" {
                while let next = peek(), next != "\n" {
                    advance()
                }
            } else if scalar == "/" && peek(1) == "*" {
                let start = position
                advance()
                advance()
                while true {
                    guard let next = peek() else {
                        throw EQLSyntaxError(
                            at: start, found: "end of input", expected: "`*/`",
                            message: "unterminated block comment")
                    }
                    if next == "*" && peek(1) == "/" {
                        advance()
                        advance()
                        break
                    }
                    advance()
                }
            } else {
                return
            }
        }
    }

    mutating func next() throws -> Token {
        try skipTrivia()
        let start = position
        let startIndex = index
        guard let scalar = peek() else {
            return Token(kind: .endOfInput, text: "", position: start)
        }

        if scalar == "\"" {
            let value = try lexString(start: start)
            return Token(kind: .string(value), text: text(from: startIndex), position: start)
        }
        if scalar == "'" {
            throw EQLSyntaxError(
                at: start, found: "`'`", expected: "a double-quoted string",
                message: "single-quoted strings are not supported; write \"text\" or \"\"\"text\"\"\"")
        }

        if Lexer.isDigit(scalar) {
            let kind = try lexNumber(start: start)
            return Token(kind: kind, text: text(from: startIndex), position: start)
        }
        if Lexer.isNameStart(scalar) || scalar == "`" || (scalar == "?" && peek(1).map(Lexer.isNameStart) == true)
            || (scalar == "?" && peek(1) == "`")
        {
            let identifier = try lexIdentifier(start: start)
            return Token(kind: .identifier(identifier), text: text(from: startIndex), position: start)
        }
        if "=!<>".unicodeScalars.contains(scalar) {
            return try lexComparison(start: start)
        }

        let single: TokenKind? =
            switch scalar {
            case "(": .leftParenthesis
            case ")": .rightParenthesis
            case "[": .leftBracket
            case "]": .rightBracket
            case ",": .comma
            case ":": .colon
            case "+": .plus
            case "-": .minus
            case "*": .star
            case "/": .slash
            case "%": .percent
            default: nil
            }
        guard let kind = single else {
            throw EQLSyntaxError(
                at: start, found: "`\(scalar)`", expected: "a field, literal, operator or keyword",
                message: "unexpected character `\(scalar)`")
        }
        advance()
        return Token(kind: kind, text: String(scalar), position: start)
    }

    // MARK: - Operators

    private mutating func lexComparison(start: SourcePosition) throws -> Token {
        let startIndex = index
        while let next = peek(), "=!<>".unicodeScalars.contains(next) {
            advance()
        }
        let written = text(from: startIndex)
        let kind: TokenKind? =
            switch written {
            case "==": .equal
            case "!=": .notEqual
            case "<": .less
            case "<=": .lessOrEqual
            case ">": .greater
            case ">=": .greaterOrEqual
            case "=": .assign
            default: nil
            }
        guard let kind else {
            throw EQLSyntaxError(
                at: start, found: "`\(written)`", expected: "one of `==`, `!=`, `<`, `<=`, `>`, `>=`",
                message: "unknown operator `\(written)`")
        }
        return Token(kind: kind, text: written, position: start)
    }

    // MARK: - Numbers

    private mutating func lexNumber(start: SourcePosition) throws -> TokenKind {
        let startIndex = index
        var isDecimal = false
        consumeDigits()
        if peek() == ".", let after = peek(1), Lexer.isDigit(after) {
            isDecimal = true
            advance()
            consumeDigits()
        }
        if let e = peek(), e == "e" || e == "E" {
            let signLength = (peek(1) == "+" || peek(1) == "-") ? 1 : 0
            if let digit = peek(1 + signLength), Lexer.isDigit(digit) {
                isDecimal = true
                for _ in 0...signLength {
                    advance()
                }
                consumeDigits()
            }
        }
        if let next = peek(), Lexer.isNameStart(next) {
            while let letter = peek(), Lexer.isNamePart(letter) {
                advance()
            }
            return .numberWithUnit(text(from: startIndex))
        }
        let written = text(from: startIndex)
        if isDecimal {
            guard let value = Double(written) else {
                throw EQLSyntaxError(
                    at: start, found: "`\(written)`", expected: "a decimal number",
                    message: "invalid decimal literal `\(written)`")
            }
            return .decimal(value)
        }
        guard let value = Int64(written) else {
            throw EQLSyntaxError(
                at: start, found: "`\(written)`", expected: "an integer between \(Int64.min) and \(Int64.max)",
                message: "integer literal `\(written)` is out of range")
        }
        return .integer(value)
    }

    private mutating func consumeDigits() {
        while let digit = peek(), Lexer.isDigit(digit) {
            advance()
        }
    }

    // MARK: - Identifiers

    private mutating func lexIdentifier(start: SourcePosition) throws -> Identifier {
        var identifier = Identifier(segments: [], isOptional: false, hasQuotedSegment: false, isCaseInsensitive: false)
        if peek() == "?" {
            identifier.isOptional = true
            advance()
        }
        while true {
            if peek() == "`" {
                identifier.segments.append(try lexQuotedSegment())
                identifier.hasQuotedSegment = true
            } else {
                let segmentStart = index
                while let next = peek(), Lexer.isNamePart(next) {
                    advance()
                }
                identifier.segments.append(text(from: segmentStart))
            }
            guard peek() == ".", let after = peek(1), Lexer.isNamePart(after) || after == "`" else {
                break
            }
            advance()
        }
        if peek() == "~" {
            identifier.isCaseInsensitive = true
            advance()
        }
        return identifier
    }

    /// Lexes one backquoted segment, where a doubled backquote stands for one backquote.
    private mutating func lexQuotedSegment() throws -> String {
        let start = position
        advance()
        var segment = String.UnicodeScalarView()
        while true {
            guard let next = peek(), next != "\n" else {
                throw EQLSyntaxError(
                    at: start, found: peek() == nil ? "end of input" : "end of line", expected: "a closing backquote",
                    message: "unterminated backquoted field name")
            }
            advance()
            if next == "`" {
                if peek() == "`" {
                    advance()
                    segment.append("`")
                    continue
                }
                break
            }
            segment.append(next)
        }
        if segment.isEmpty {
            throw EQLSyntaxError(
                at: start, found: "``", expected: "a field name between backquotes",
                message: "empty backquoted field name")
        }
        return String(segment)
    }

    // MARK: - Strings

    private mutating func lexString(start: SourcePosition) throws -> String {
        if peek(1) == "\"" && peek(2) == "\"" {
            return try lexRawString(start: start)
        }
        advance()
        var value = String.UnicodeScalarView()
        while true {
            guard let next = peek(), next != "\n", next != "\r" else {
                throw EQLSyntaxError(
                    at: start, found: peek() == nil ? "end of input" : "end of line", expected: "a closing `\"`",
                    message: "unterminated string literal")
            }
            if next == "\"" {
                advance()
                return String(value)
            }
            if next == "\\" {
                value.append(try lexEscape())
                continue
            }
            value.append(next)
            advance()
        }
    }

    private mutating func lexRawString(start: SourcePosition) throws -> String {
        advance()
        advance()
        advance()
        let contentStart = index
        while index < scalars.count {
            if peek() == "\"" && peek(1) == "\"" && peek(2) == "\"" {
                let value = text(from: contentStart)
                advance()
                advance()
                advance()
                return value
            }
            advance()
        }
        throw EQLSyntaxError(
            at: start, found: "end of input", expected: "a closing `\"\"\"`",
            message: "unterminated raw string literal")
    }

    /// Lexes one escape sequence: `\"`, `\'`, `\\`, `\n`, `\r`, `\t` or `\u{X…}` with 2 to 8 hex digits.
    private mutating func lexEscape() throws -> Unicode.Scalar {
        let start = position
        advance()
        guard let letter = peek() else {
            throw EQLSyntaxError(
                at: start, found: "end of input", expected: "a closing `\"`", message: "unterminated string literal")
        }
        advance()
        switch letter {
        case "\"": return "\""
        case "'": return "'"
        case "\\": return "\\"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "u":
            return try lexUnicodeEscape(start: start)
        default:
            throw EQLSyntaxError(
                at: start, found: "`\\\(letter)`", expected: "one of \\\" \\' \\\\ \\n \\r \\t \\u{hex}",
                message: "invalid escape sequence `\\\(letter)`; write `\\\\` for a backslash")
        }
    }

    private mutating func lexUnicodeEscape(start: SourcePosition) throws -> Unicode.Scalar {
        let expected = "`\\u{` followed by 2 to 8 hex digits and `}`"
        guard peek() == "{" else {
            throw EQLSyntaxError(
                at: start, found: "`\\u`", expected: expected,
                message: "invalid Unicode escape sequence")
        }
        advance()
        let digitsStart = index
        while let next = peek(), next.properties.isASCIIHexDigit {
            advance()
        }
        let digits = text(from: digitsStart)
        guard peek() == "}", (2...8).contains(digits.count), let code = UInt32(digits, radix: 16),
            let scalar = Unicode.Scalar(code)
        else {
            throw EQLSyntaxError(
                at: start, found: "`\\u{\(digits)`", expected: expected,
                message: "invalid Unicode escape sequence `\\u{\(digits)`")
        }
        advance()
        return scalar
    }

    // MARK: - Character classes

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar >= "0" && scalar <= "9"
    }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_" || scalar == "@"
    }

    static func isNamePart(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || isDigit(scalar)
    }
}
