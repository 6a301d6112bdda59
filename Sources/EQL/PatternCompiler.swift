/// Compiles `:`, `like`, `like~`, `regex` and `regex~`, whose patterns must be literals so they are prepared once.
extension ExpressionCompiler {
    func pattern(
        _ patternOperator: PatternOperator, _ subject: Expr, _ items: [Expr], at position: SourcePosition
    ) throws -> Condition {
        var tests: [@Sendable (EQLValue) -> Bool] = []
        for item in items {
            guard case .literal(let literal, let itemPosition) = item else {
                throw EQLCompileError(
                    at: item.position, "the right side of `\(patternOperator.rawValue)` must be a literal")
            }
            tests.append(try patternTest(patternOperator, literal, at: itemPosition))
        }
        if tests.count == 1 {
            let test = tests[0]
            return try predicate(on: subject, test)
        }
        let allTests = tests
        return try predicate(on: subject) { value in
            for test in allTests where test(value) {
                return true
            }
            return false
        }
    }

    private func patternTest(
        _ patternOperator: PatternOperator, _ literal: EQLValue, at position: SourcePosition
    ) throws -> @Sendable (EQLValue) -> Bool {
        switch (patternOperator, literal) {
        case (.wildcardEquals, .string(let text)):
            return wildcardTest(text, isCaseInsensitive: true)
        case (.wildcardEquals, .integer), (.wildcardEquals, .double), (.wildcardEquals, .bool):
            // A number or boolean pattern matches values of the same kind by plain equality.
            return { ValueComparison.equals($0, literal) }
        case (.like, .string(let text)):
            return wildcardTest(text, isCaseInsensitive: false)
        case (.likeInsensitive, .string(let text)):
            return wildcardTest(text, isCaseInsensitive: true)
        case (.regex, .string(let text)), (.regexInsensitive, .string(let text)):
            guard let regex = RegexPattern(text, isCaseInsensitive: patternOperator == .regexInsensitive) else {
                throw EQLCompileError(at: position, "invalid regular expression \"\(text)\"")
            }
            return { value in
                if case .string(let candidate) = value {
                    return regex.matches(candidate)
                }
                return false
            }
        default:
            let allowed = patternOperator == .wildcardEquals ? "a string, number or boolean" : "a string"
            throw EQLCompileError(
                at: position, "the pattern of `\(patternOperator.rawValue)` must be \(allowed), not \(literal)")
        }
    }

    private func wildcardTest(_ text: String, isCaseInsensitive: Bool) -> @Sendable (EQLValue) -> Bool {
        let wildcard = WildcardPattern(text, isCaseInsensitive: isCaseInsensitive)
        return { value in
            if case .string(let candidate) = value {
                return wildcard.matches(candidate)
            }
            return false
        }
    }
}
