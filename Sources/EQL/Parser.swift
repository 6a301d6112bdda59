/// The entry point that turns EQL query text into a ``Query`` syntax tree.
public enum EQLParser {
    /// Parses one event query or sequence query.
    ///
    /// - Throws: ``EQLSyntaxError`` with the line and column of the first offending token.
    public static func parse(_ text: String) throws -> Query {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        return try parser.parseQuery()
    }

    /// Parses a `category where condition` query, as used for one stage of a sequence.
    public static func parseEventQuery(_ text: String) throws -> EventQuery {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        let query = try parser.parseEventQuery()
        try parser.expectEnd()
        return query
    }
}

/// A recursive-descent parser over the token list of one query.
struct Parser {
    /// The largest `with runs=N` that a stage accepts.
    // NOTE: Elasticsearch also bounds runs; 100 is this parser's own limit, not a value read from Elasticsearch.
    static let maxRuns = 100

    var tokens: [Token]
    var index = 0

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    var current: Token { tokens[index] }

    var next: Token { tokens[min(index + 1, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 {
            index += 1
        }
        return token
    }

    /// Returns an error that points at the current token.
    func error(expected: String, message: String? = nil) -> EQLSyntaxError {
        let token = current
        let text: String
        if let message {
            text = message
        } else if case .endOfInput = token.kind {
            text = "unexpected end of input, expected \(expected)"
        } else {
            text = "unexpected \(token.quoted), expected \(expected)"
        }
        return EQLSyntaxError(at: token.position, found: token.quoted, expected: expected, message: text)
    }

    mutating func expect(_ kind: TokenKind, _ description: String) throws {
        guard current.kind == kind else {
            throw error(expected: description)
        }
        advance()
    }

    mutating func expectKeyword(_ word: String) throws {
        guard current.isKeyword(word) else {
            throw error(expected: "`\(word)`")
        }
        advance()
    }

    mutating func expectEnd() throws {
        guard case .endOfInput = current.kind else {
            throw error(expected: "`and`, `or` or end of query")
        }
    }

    // MARK: - Queries

    mutating func parseQuery() throws -> Query {
        if current.isKeyword("sequence") {
            let sequence = try parseSequence()
            try expectEnd()
            return Query(body: .sequence(sequence))
        }
        for unsupported in ["join", "sample"] where current.isKeyword(unsupported) {
            throw error(
                expected: "an event category, `any` or `sequence`",
                message: "`\(unsupported)` queries are not supported; write an event query or a sequence")
        }
        let event = try parseEventQuery()
        try expectEnd()
        return Query(body: .event(event))
    }

    mutating func parseEventQuery() throws -> EventQuery {
        let token = current
        let category: String?
        switch token.kind {
        case .string(let value):
            category = value
        case .identifier(let identifier)
        where identifier.bareWord != nil && !identifier.isCaseInsensitive
            && (identifier.bareWord == "any" || !reservedWords.contains(identifier.bareWord!)):
            category = identifier.bareWord == "any" ? nil : identifier.bareWord
        default:
            throw error(expected: "an event category, `any` or `sequence`")
        }
        advance()
        try expectKeyword("where")
        let condition = try parseExpression()
        return EventQuery(category: category, condition: condition, position: token.position)
    }

    // MARK: - Sequences

    mutating func parseSequence() throws -> SequenceQuery {
        advance()
        var by: [FieldReference]?
        var maxspan: Duration?
        while true {
            if by == nil && current.isKeyword("by") {
                advance()
                by = try parseFieldList()
            } else if maxspan == nil && current.isKeyword("with") {
                advance()
                maxspan = try parseMaxspan()
            } else {
                break
            }
        }

        var stages: [SequenceStage] = []
        while current.kind == .leftBracket {
            let (stage, runs) = try parseStage(allowsRuns: true)
            stages.append(contentsOf: repeatElement(stage, count: runs))
        }
        if stages.count < 2 {
            throw error(
                expected: "`[` to start another stage",
                message: "a sequence needs at least two stages, but found \(stages.count)")
        }

        var until: SequenceStage?
        if current.isKeyword("until") {
            advance()
            until = try parseStage(allowsRuns: false).stage
        }

        let sequence = SequenceQuery(by: by ?? [], maxspan: maxspan, stages: stages, until: until)
        try checkJoinKeyCounts(sequence)
        return sequence
    }

    /// Parses `maxspan=<span>` after `with`.
    private mutating func parseMaxspan() throws -> Duration {
        guard case .identifier(let identifier) = current.kind, identifier.bareWord == "maxspan" else {
            throw error(expected: "`maxspan`")
        }
        advance()
        try expect(.assign, "`=`")
        let token = current
        let spanText: String
        switch token.kind {
        case .numberWithUnit(let text):
            spanText = text
        case .integer, .decimal:
            throw error(
                expected: "a time span such as `30s` or `5m`",
                message: "maxspan `\(token.text)` has no time unit; add one of ms, s, m, h, d")
        default:
            throw error(expected: "a time span such as `30s` or `5m`")
        }
        guard let span = TimeSpan.parse(spanText) else {
            throw error(
                expected: "a time span such as `30s` or `5m`",
                message: "invalid maxspan `\(spanText)`; write a whole number followed by one of \(TimeSpan.unitList)")
        }
        advance()
        return span
    }

    /// Parses `[category where condition] [by keys] [with runs=N]` and returns the stage with its run count.
    private mutating func parseStage(allowsRuns: Bool) throws -> (stage: SequenceStage, runs: Int) {
        try expect(.leftBracket, "`[`")
        let query = try parseEventQuery()
        guard current.kind == .rightBracket else {
            throw error(expected: "`]`", message: "missing `]` after the stage condition, found \(current.quoted)")
        }
        advance()
        var by: [FieldReference] = []
        if current.isKeyword("by") {
            advance()
            by = try parseFieldList()
        }
        var runs = 1
        if allowsRuns && current.isKeyword("with") {
            advance()
            runs = try parseRuns()
        }
        return (SequenceStage(query: query, by: by), runs)
    }

    private mutating func parseRuns() throws -> Int {
        guard case .identifier(let identifier) = current.kind, identifier.bareWord == "runs" else {
            throw error(expected: "`runs`")
        }
        advance()
        try expect(.assign, "`=`")
        guard case .integer(let count) = current.kind else {
            throw error(expected: "a whole number of runs")
        }
        guard count >= 1 && count <= Int64(Parser.maxRuns) else {
            throw error(
                expected: "a number of runs from 1 to \(Parser.maxRuns)",
                message: "runs=\(count) is out of range; use a value from 1 to \(Parser.maxRuns)")
        }
        advance()
        return Int(count)
    }

    mutating func parseFieldList() throws -> [FieldReference] {
        var fields = [try parseFieldReference()]
        while current.kind == .comma {
            advance()
            fields.append(try parseFieldReference())
        }
        return fields
    }

    private mutating func parseFieldReference() throws -> FieldReference {
        guard case .identifier(let identifier) = current.kind, !identifier.isCaseInsensitive,
            !reservedWords.contains(identifier.bareWord ?? "")
        else {
            throw error(expected: "a field name")
        }
        let token = advance()
        return FieldReference(name: identifier.dottedName, isOptional: identifier.isOptional, position: token.position)
    }

    /// Checks that every stage and `until` have as many join keys as the first stage.
    private func checkJoinKeyCounts(_ sequence: SequenceQuery) throws {
        let expectedCount = sequence.stages[0].by.count
        let stages = sequence.stages + (sequence.until.map { [$0] } ?? [])
        for stage in stages where stage.by.count != expectedCount {
            throw EQLSyntaxError(
                at: stage.by.first?.position ?? stage.query.position,
                found: "\(stage.by.count) join keys", expected: "\(expectedCount) join keys",
                message: "every stage needs the same number of `by` keys: the first stage has \(expectedCount), "
                    + "this one has \(stage.by.count)")
        }
    }
}
