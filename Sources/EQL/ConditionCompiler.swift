/// A compiled boolean expression.
typealias Condition = @Sendable (any FieldSource) -> Truth

/// A compiled value expression. It returns `nil` for null and for a missing field.
typealias ValueFunction = @Sendable (any FieldSource) -> EQLValue?

/// The static kind of an expression, used to reject arguments and conditions of the wrong kind at compile time.
enum StaticKind: Equatable {
    case boolean, number, string, null
    /// A field or any other expression whose kind is only known per event.
    case unknown

    var description: String {
        switch self {
        case .boolean: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .null: "null"
        case .unknown: "a value"
        }
    }
}

/// Turns expressions into closures.
///
/// Null handling follows Elasticsearch, which turns a predicate on a field and literals into a query on the field.
/// Such a predicate is false when the field is missing, null, or has no matching element. Its `not` and `!=` forms
/// are plain negations, so they are true for a missing field. A predicate on a computed value, such as
/// `length(x) > 3`, is unknown for a null input, `not unknown` stays unknown, and an unknown filter result is no match.
struct ExpressionCompiler {
    let fields: FieldTable

    func condition(_ expression: Expr) throws -> Condition {
        switch expression {
        case .and(let left, let right, _):
            let first = try condition(left)
            let second = try condition(right)
            return { event in
                let a = first(event)
                if a == .isFalse {
                    return .isFalse
                }
                let b = second(event)
                if b == .isFalse {
                    return .isFalse
                }
                return a == .isTrue && b == .isTrue ? .isTrue : .unknown
            }
        case .or(let left, let right, _):
            let first = try condition(left)
            let second = try condition(right)
            return { event in
                let a = first(event)
                if a == .isTrue {
                    return .isTrue
                }
                let b = second(event)
                if b == .isTrue {
                    return .isTrue
                }
                return a == .isFalse && b == .isFalse ? .isFalse : .unknown
            }
        case .not(let operand, _):
            let inner = try condition(operand)
            return { inner($0).negated }
        case .comparison(let comparisonOperator, let left, let right, let position):
            return try comparison(comparisonOperator, left, right, at: position)
        case .membership(let subject, let items, let isCaseInsensitive, let isNegated, _):
            let positive = try membership(subject, items, isCaseInsensitive: isCaseInsensitive)
            if isNegated {
                return { positive($0).negated }
            }
            return positive
        case .pattern(let patternOperator, let subject, let items, let position):
            return try pattern(patternOperator, subject, items, at: position)
        case .call(let name, let isCaseInsensitive, let arguments, let position):
            return try callCondition(name: name, isCaseInsensitive: isCaseInsensitive, arguments, at: position)
        case .field(let reference):
            return predicate(on: reference) { $0 == .bool(true) }
        case .literal(.bool(let flag), _):
            let truth = Truth(flag)
            return { _ in truth }
        case .literal(.null, _):
            return { _ in .unknown }
        case .literal, .arithmetic, .negate:
            throw EQLCompileError(
                at: expression.position,
                "a condition must be boolean, but this expression is \(kind(of: expression).description)")
        }
    }

    // MARK: - Predicates

    /// Returns a two-valued predicate on one field: false when the field is missing or null, otherwise whether
    /// `test` holds for the value or any array element.
    func predicate(on reference: FieldReference, _ test: @escaping @Sendable (EQLValue) -> Bool) -> Condition {
        let slot = fields.slot(for: reference.name)
        return { event in
            guard let value = event.value(atSlot: slot) else {
                return .isFalse
            }
            return Truth(ValueComparison.anyElement(value, test))
        }
    }

    /// Returns a predicate on `subject`: two-valued for a field, and unknown on a null computed value otherwise.
    func predicate(on subject: Expr, _ test: @escaping @Sendable (EQLValue) -> Bool) throws -> Condition {
        if case .field(let reference) = subject {
            return predicate(on: reference, test)
        }
        let compute = try value(subject)
        return { event in
            guard let value = compute(event), value != .null else {
                return .unknown
            }
            return Truth(ValueComparison.anyElement(value, test))
        }
    }

    private func comparison(
        _ comparisonOperator: ComparisonOperator, _ left: Expr, _ right: Expr, at position: SourcePosition
    ) throws -> Condition {
        if comparisonOperator == .notEqual {
            let equal = try comparison(.equal, left, right, at: position)
            return { equal($0).negated }
        }
        // `field == null` tests that the field is missing or null, as in Elasticsearch.
        if comparisonOperator == .equal {
            if case .field(let reference) = left, case .literal(.null, _) = right {
                return nullCheck(reference)
            }
            if case .literal(.null, _) = left, case .field(let reference) = right {
                return nullCheck(reference)
            }
        }
        if case .literal(let literal, _) = right, literal != .null {
            return try predicate(on: left) { comparisonOperator.holds(for: $0, literal) }
        }
        if case .literal(let literal, _) = left, literal != .null {
            let flipped = comparisonOperator.flipped
            return try predicate(on: right) { flipped.holds(for: $0, literal) }
        }
        // Both sides are computed but at most one reads fields, because `EQLCompiler.rejectFieldComparisons` rejects
        // field-to-field comparisons first. Every pair of elements is compared, with null giving unknown.
        let first = try value(left)
        let second = try value(right)
        return { event in
            guard let a = first(event), a != .null, let b = second(event), b != .null else {
                return .unknown
            }
            let found = ValueComparison.anyElement(a) { x in
                ValueComparison.anyElement(b) { y in comparisonOperator.holds(for: x, y) }
            }
            return Truth(found)
        }
    }

    private func nullCheck(_ reference: FieldReference) -> Condition {
        let slot = fields.slot(for: reference.name)
        return { event in
            guard let value = event.value(atSlot: slot) else {
                return .isTrue
            }
            return Truth(value == .null)
        }
    }

    private func membership(_ subject: Expr, _ items: [Expr], isCaseInsensitive: Bool) throws -> Condition {
        let literals = items.compactMap { item -> EQLValue? in
            if case .literal(let value, _) = item {
                return value
            }
            return nil
        }
        guard literals.count == items.count else {
            return try computedMembership(subject, items, isCaseInsensitive: isCaseInsensitive)
        }
        let list = MembershipList(literals, isCaseInsensitive: isCaseInsensitive)
        return try predicate(on: subject) { list.contains($0) }
    }

    /// Compiles `in` for a list with computed items, which are evaluated per event.
    private func computedMembership(_ subject: Expr, _ items: [Expr], isCaseInsensitive: Bool) throws -> Condition {
        let itemValues = try items.map { try value($0) }
        let compute = try value(subject)
        let missingResult: Truth
        if case .field = subject {
            missingResult = .isFalse
        } else {
            missingResult = .unknown
        }
        return { event in
            guard let subjectValue = compute(event), subjectValue != .null else {
                return missingResult
            }
            for item in itemValues {
                guard var itemValue = item(event) else {
                    continue
                }
                if isCaseInsensitive, case .string(let text) = itemValue {
                    itemValue = .string(text.lowercased())
                }
                let found = ValueComparison.anyElement(subjectValue) {
                    MembershipList.equal($0, itemValue, isCaseInsensitive: isCaseInsensitive)
                }
                if found {
                    return .isTrue
                }
            }
            return .isFalse
        }
    }
}

extension ComparisonOperator {
    /// The operator with its operands swapped, so that `5 < x` becomes `x > 5`.
    var flipped: ComparisonOperator {
        switch self {
        case .equal, .notEqual: self
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        }
    }

    func holds(for left: EQLValue, _ right: EQLValue) -> Bool {
        switch self {
        case .equal:
            return ValueComparison.equals(left, right)
        case .notEqual:
            return !ValueComparison.equals(left, right)
        case .less:
            return (ValueComparison.compare(left, right) ?? 0) < 0
        case .lessOrEqual:
            return ValueComparison.compare(left, right).map { $0 <= 0 } ?? false
        case .greater:
            return (ValueComparison.compare(left, right) ?? 0) > 0
        case .greaterOrEqual:
            return ValueComparison.compare(left, right).map { $0 >= 0 } ?? false
        }
    }
}

/// The literal items of `in` or `in~`, with strings lowercased once for `in~`.
struct MembershipList: Sendable {
    private let values: [EQLValue]
    private let isCaseInsensitive: Bool

    init(_ values: [EQLValue], isCaseInsensitive: Bool) {
        self.isCaseInsensitive = isCaseInsensitive
        self.values = values.map { value in
            if isCaseInsensitive, case .string(let text) = value {
                return .string(text.lowercased())
            }
            return value
        }
    }

    func contains(_ candidate: EQLValue) -> Bool {
        for value in values where MembershipList.equal(candidate, value, isCaseInsensitive: isCaseInsensitive) {
            return true
        }
        return false
    }

    /// Returns whether `candidate` equals `item`; for `in~`, `item` must already be lowercased when it is a string.
    static func equal(_ candidate: EQLValue, _ item: EQLValue, isCaseInsensitive: Bool) -> Bool {
        if isCaseInsensitive, case .string(let text) = candidate, case .string(let lowered) = item {
            return ValueComparison.equalsIgnoringCase(text, lowercasedLiteral: lowered)
        }
        return ValueComparison.equals(candidate, item)
    }
}
