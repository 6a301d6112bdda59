/// The kind of a lexical token of an EQL query.
enum TokenKind: Equatable {
    /// A field path or keyword, split into its dotted segments with backquotes removed.
    case identifier(Identifier)
    case string(String)
    case integer(Int64)
    case decimal(Double)
    /// A number directly followed by letters, such as `5m` after `maxspan=`.
    case numberWithUnit(String)
    case leftParenthesis, rightParenthesis, leftBracket, rightBracket, comma, colon
    case plus, minus, star, slash, percent
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual, assign
    case endOfInput
}

/// A dotted name as written in the query, such as `process.name`, `?process.name` or `` `my field`.sub ``.
struct Identifier: Equatable {
    var segments: [String]
    /// Whether the name starts with `?`, which marks an optional field.
    var isOptional: Bool
    /// Whether any segment was backquoted, so the name cannot be a keyword.
    var hasQuotedSegment: Bool
    /// Whether the name is directly followed by `~`, as in `in~` or `startsWith~(`.
    var isCaseInsensitive: Bool

    var dottedName: String { segments.joined(separator: ".") }

    /// The keyword this identifier spells, or `nil` when it is quoted, optional, dotted or marked with `~`.
    var bareWord: String? {
        if isOptional || hasQuotedSegment || segments.count != 1 {
            return nil
        }
        return segments[0]
    }
}

/// A token with its text as written and the position of its first character.
struct Token {
    var kind: TokenKind
    var text: String
    var position: SourcePosition

    /// Returns whether the token is the keyword `word`, written without `~`.
    func isKeyword(_ word: String) -> Bool {
        guard case .identifier(let identifier) = kind, !identifier.isCaseInsensitive else {
            return false
        }
        return identifier.bareWord == word
    }

    /// The token as an error message shows it.
    var quoted: String {
        if case .endOfInput = kind {
            return "end of input"
        }
        return "`\(text)`"
    }
}

/// The words that cannot start a field name unless backquoted.
let reservedWords: Set<String> = [
    "and", "or", "not", "where", "sequence", "by", "with", "until", "in", "like", "regex",
    "true", "false", "null", "any", "join", "sample", "of",
]
