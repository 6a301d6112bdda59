/// Expression grammar, from lowest to highest precedence: `or`, `and`, `not`, predicates (comparisons, `:`, `in`,
/// `like`, `regex`), `+ -`, `* / %`, unary minus, and primaries (literals, fields, calls, parentheses).
extension Parser {
    mutating func parseExpression() throws -> Expr {
        try parseOr()
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while current.isKeyword("or") {
            let position = advance().position
            let right = try parseAnd()
            left = .or(left, right, position)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while current.isKeyword("and") {
            let position = advance().position
            let right = try parseNot()
            left = .and(left, right, position)
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if current.isKeyword("not") {
            let position = advance().position
            return .not(try parseNot(), position)
        }
        return try parsePredicate()
    }

    /// The keyword of the current token together with its `~` mark, such as `("in", true)` for `in~`.
    private var currentOperatorWord: (word: String, isCaseInsensitive: Bool)? {
        guard case .identifier(let identifier) = current.kind, let word = identifier.bareWord else {
            return nil
        }
        return (word, identifier.isCaseInsensitive)
    }

    private mutating func parsePredicate() throws -> Expr {
        let left = try parseAdditive()
        let token = current
        switch token.kind {
        case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
            advance()
            let right = try parseAdditive()
            return .comparison(comparisonOperator(token.kind), left, right, token.position)
        case .assign:
            throw EQLSyntaxError(
                at: token.position, found: "`=`", expected: "one of `==`, `!=`, `<`, `<=`, `>`, `>=`",
                message: "unknown operator `=`; write `==` to compare values")
        case .colon:
            advance()
            return .pattern(.wildcardEquals, left, try parsePatternOperand(), token.position)
        default:
            break
        }
        guard let (word, isCaseInsensitive) = currentOperatorWord else {
            return left
        }
        switch word {
        case "in":
            advance()
            let items = try parseList()
            return .membership(left, items, isCaseInsensitive: isCaseInsensitive, isNegated: false, token.position)
        case "not" where !isCaseInsensitive && next.isKeyword("in"):
            advance()
            advance()
            let items = try parseList()
            return .membership(left, items, isCaseInsensitive: false, isNegated: true, token.position)
        case "like":
            advance()
            let patternOperator: PatternOperator = isCaseInsensitive ? .likeInsensitive : .like
            return .pattern(patternOperator, left, try parsePatternOperand(), token.position)
        case "regex":
            advance()
            let patternOperator: PatternOperator = isCaseInsensitive ? .regexInsensitive : .regex
            return .pattern(patternOperator, left, try parsePatternOperand(), token.position)
        default:
            return left
        }
    }

    private func comparisonOperator(_ kind: TokenKind) -> ComparisonOperator {
        switch kind {
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessOrEqual: .lessOrEqual
        case .greater: .greater
        default: .greaterOrEqual
        }
    }

    /// Parses the right side of `:`, `like` or `regex`: one operand or a parenthesized list.
    private mutating func parsePatternOperand() throws -> [Expr] {
        if current.kind == .leftParenthesis {
            return try parseList()
        }
        return [try parseAdditive()]
    }

    /// Parses `(item, item, …)` with at least one item.
    private mutating func parseList() throws -> [Expr] {
        try expect(.leftParenthesis, "`(` to start a list")
        var items = [try parseExpression()]
        while current.kind == .comma {
            advance()
            items.append(try parseExpression())
        }
        try expect(.rightParenthesis, "`,` or `)`")
        return items
    }

    private mutating func parseAdditive() throws -> Expr {
        var left = try parseMultiplicative()
        while true {
            let token = current
            let arithmeticOperator: ArithmeticOperator
            switch token.kind {
            case .plus: arithmeticOperator = .add
            case .minus: arithmeticOperator = .subtract
            default: return left
            }
            advance()
            let right = try parseMultiplicative()
            left = .arithmetic(arithmeticOperator, left, right, token.position)
        }
    }

    private mutating func parseMultiplicative() throws -> Expr {
        var left = try parseUnary()
        while true {
            let token = current
            let arithmeticOperator: ArithmeticOperator
            switch token.kind {
            case .star: arithmeticOperator = .multiply
            case .slash: arithmeticOperator = .divide
            case .percent: arithmeticOperator = .modulo
            default: return left
            }
            advance()
            let right = try parseUnary()
            left = .arithmetic(arithmeticOperator, left, right, token.position)
        }
    }

    private mutating func parseUnary() throws -> Expr {
        guard current.kind == .minus else {
            return try parsePrimary()
        }
        let position = advance().position
        let operand = try parseUnary()
        switch operand {
        case .literal(.integer(let value), _) where value != Int64.min:
            return .literal(.integer(-value), position)
        case .literal(.double(let value), _):
            return .literal(.double(-value), position)
        default:
            return .negate(operand, position)
        }
    }

    private mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .leftParenthesis:
            advance()
            let inner = try parseExpression()
            try expect(.rightParenthesis, "`)`")
            return inner
        case .string(let value):
            advance()
            return .literal(.string(value), token.position)
        case .integer(let value):
            advance()
            return .literal(.integer(value), token.position)
        case .decimal(let value):
            advance()
            return .literal(.double(value), token.position)
        case .numberWithUnit(let text):
            throw error(expected: "a number", message: "invalid number `\(text)`")
        case .identifier(let identifier):
            return try parseIdentifierPrimary(identifier, token: token)
        default:
            throw error(expected: "a field, literal, function call or `(`")
        }
    }

    private mutating func parseIdentifierPrimary(_ identifier: Identifier, token: Token) throws -> Expr {
        if next.kind == .leftParenthesis, !identifier.isOptional, !identifier.hasQuotedSegment,
            identifier.segments.count == 1, !reservedWords.contains(identifier.segments[0])
        {
            advance()
            advance()
            var arguments: [Expr] = []
            if current.kind != .rightParenthesis {
                arguments.append(try parseExpression())
                while current.kind == .comma {
                    advance()
                    arguments.append(try parseExpression())
                }
            }
            try expect(.rightParenthesis, "`,` or `)`")
            return .call(
                name: identifier.segments[0], isCaseInsensitive: identifier.isCaseInsensitive, arguments: arguments,
                token.position)
        }
        if let word = identifier.bareWord, !identifier.isCaseInsensitive {
            switch word {
            case "true":
                advance()
                return .literal(.bool(true), token.position)
            case "false":
                advance()
                return .literal(.bool(false), token.position)
            case "null":
                advance()
                return .literal(.null, token.position)
            default:
                break
            }
        }
        if let word = identifier.bareWord, reservedWords.contains(word) {
            throw error(
                expected: "a field, literal, function call or `(`",
                message: "unexpected keyword \(token.quoted); backquote it to use it as a field name")
        }
        if identifier.isCaseInsensitive {
            throw error(
                expected: "a function call after `~`",
                message: "`~` after a field name is not allowed; it marks a case-insensitive function or operator")
        }
        advance()
        let reference = FieldReference(
            name: identifier.dottedName, isOptional: identifier.isOptional, position: token.position)
        return .field(reference)
    }
}
