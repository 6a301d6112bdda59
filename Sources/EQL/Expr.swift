/// A comparison operator between two values.
public enum ComparisonOperator: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// An arithmetic operator between two numbers.
public enum ArithmeticOperator: String, Sendable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case modulo = "%"
}

/// An operator that matches a value against one or more patterns.
public enum PatternOperator: String, Sendable {
    /// `:`, case-insensitive equality where `*` and `?` in string patterns are wildcards.
    case wildcardEquals = ":"
    /// `like`, case-sensitive wildcard match.
    case like = "like"
    /// `like~`, case-insensitive wildcard match.
    case likeInsensitive = "like~"
    /// `regex`, case-sensitive regular expression that must match the whole value.
    case regex = "regex"
    /// `regex~`, case-insensitive regular expression that must match the whole value.
    case regexInsensitive = "regex~"
}

/// An EQL expression, with the position of its first token or of its operator.
public indirect enum Expr {
    /// A literal value: null, boolean, integer, decimal or string.
    case literal(EQLValue, SourcePosition)
    case field(FieldReference)
    case not(Expr, SourcePosition)
    case and(Expr, Expr, SourcePosition)
    case or(Expr, Expr, SourcePosition)
    case comparison(ComparisonOperator, Expr, Expr, SourcePosition)
    /// `value in (…)`, `value in~ (…)` or `value not in (…)`.
    case membership(Expr, [Expr], isCaseInsensitive: Bool, isNegated: Bool, SourcePosition)
    /// `value : pattern`, `value like (…)`, `value regex~ pattern` and the other pattern operators.
    case pattern(PatternOperator, Expr, [Expr], SourcePosition)
    case arithmetic(ArithmeticOperator, Expr, Expr, SourcePosition)
    /// Unary minus on a non-literal. The parser folds `-` on a number literal into the literal.
    case negate(Expr, SourcePosition)
    /// A call such as `cidrMatch(…)` or `startsWith~(…)`, with the name as written.
    case call(name: String, isCaseInsensitive: Bool, arguments: [Expr], SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .literal(_, let position), .not(_, let position), .and(_, _, let position), .or(_, _, let position),
            .comparison(_, _, _, let position), .membership(_, _, _, _, let position), .pattern(_, _, _, let position),
            .arithmetic(_, _, _, let position), .negate(_, let position), .call(_, _, _, let position):
            return position
        case .field(let reference):
            return reference.position
        }
    }

    /// Calls `visit` on every field this expression reads, in query order.
    public func forEachField(_ visit: (FieldReference) -> Void) {
        switch self {
        case .literal:
            break
        case .field(let reference):
            visit(reference)
        case .not(let operand, _), .negate(let operand, _):
            operand.forEachField(visit)
        case .and(let left, let right, _), .or(let left, let right, _), .comparison(_, let left, let right, _),
            .arithmetic(_, let left, let right, _):
            left.forEachField(visit)
            right.forEachField(visit)
        case .membership(let value, let items, _, _, _), .pattern(_, let value, let items, _):
            value.forEachField(visit)
            for item in items {
                item.forEachField(visit)
            }
        case .call(_, _, let arguments, _):
            for argument in arguments {
                argument.forEachField(visit)
            }
        }
    }
}
