/// A compiled event filter: the category check and the condition of one ``EventQuery``.
///
/// Evaluation reads fields through the slots registered at compile time and does not parse or compile anything.
public struct CompiledFilter: Sendable {
    let condition: Condition
    /// The condition an event must meet to match, checked before the filter runs; see ``Requirement``.
    public let requirement: Requirement

    init(requirement: Requirement, condition: @escaping Condition) {
        self.condition = condition
        self.requirement = requirement
    }

    /// Returns whether `event` passes the filter. A condition that evaluates to null counts as no match.
    public func matches(_ event: some FieldSource) -> Bool {
        condition(event) == .isTrue
    }
}

/// Compiles syntax trees into filters, and lists the fields that queries read.
public enum EQLCompiler {
    /// Compiles `category where condition` into one predicate: a category check on `categoryField` AND the
    /// condition.
    ///
    /// The category check is an exact, case-sensitive comparison that passes when any element of an array value
    /// equals the category, and it is skipped for `any`. Every field the filter reads, including `categoryField`, is
    /// registered in `fields`.
    ///
    /// - Throws: ``EQLCompileError`` for an unknown function, a wrong argument count, an argument of the wrong kind,
    ///   an invalid pattern or CIDR block, a comparison between two fields, or a condition that is not boolean.
    public static func compileFilter(
        _ query: EventQuery, fields: FieldTable, categoryField: String = "event.category"
    ) throws -> CompiledFilter {
        try rejectFieldComparisons(in: query.condition)
        let compiler = ExpressionCompiler(fields: fields)
        let condition = try compiler.condition(query.condition)
        guard let category = query.category else {
            return CompiledFilter(
                requirement: Requirement.of(query.condition, category: nil, categorySlot: -1, fields: fields), condition: condition)
        }
        let slot = fields.slot(for: categoryField)
        let requirement = Requirement.of(query.condition, category: category, categorySlot: slot, fields: fields)
        let expected = EQLValue.string(category)
        return CompiledFilter(requirement: requirement) { event in
            guard let value = event.value(atSlot: slot),
                ValueComparison.anyElement(value, { ValueComparison.equals($0, expected) })
            else {
                return .isFalse
            }
            return condition(event)
        }
    }

    /// Returns every field name that `query` reads in its conditions, join keys and `until` stage, each once, in
    /// query order. The category field is not included.
    public static func fieldNames(of query: Query) -> [String] {
        var names: [String] = []
        var seen: Set<String> = []
        let add = { (reference: FieldReference) in
            if seen.insert(reference.name).inserted {
                names.append(reference.name)
            }
        }
        switch query.body {
        case .event(let event):
            event.condition.forEachField(add)
        case .sequence(let sequence):
            sequence.by.forEach(add)
            for stage in sequence.stages + (sequence.until.map { [$0] } ?? []) {
                stage.query.condition.forEachField(add)
                stage.by.forEach(add)
            }
        }
        return names
    }

    /// Rejects a comparison or `in` list where both sides read fields, as Elasticsearch does.
    ///
    /// Elasticsearch translates a comparison into a query on one field against a constant, so the other side must
    /// fold to a constant. Its EQL syntax reference, section "Limitations for comparisons"
    /// (https://www.elastic.co/guide/en/elasticsearch/reference/current/eql-syntax.html), states that a field cannot
    /// be compared to another field, even through a function. Its query translator
    /// (`ExpressionTranslators.BinaryComparisons.checkBinaryComparison` in x-pack/plugin/ql) fails such a query with
    /// "Comparisons against fields are not (currently) supported", and its EQL tests (`QueryTranslatorFailTests`)
    /// show the same error for `opcode == pid` and for `process_name in (parent_process_name, "SYSTEM")`. An
    /// expression that reads no field, such as `1 + 1`, folds to a constant, so it is accepted on either side.
    static func rejectFieldComparisons(in expression: Expr) throws {
        switch expression {
        case .literal, .field:
            return
        case .not(let operand, _), .negate(let operand, _):
            try rejectFieldComparisons(in: operand)
        case .and(let left, let right, _), .or(let left, let right, _), .arithmetic(_, let left, let right, _):
            try rejectFieldComparisons(in: left)
            try rejectFieldComparisons(in: right)
        case .comparison(let comparisonOperator, let left, let right, _):
            try rejectFieldComparisons(in: left)
            try rejectFieldComparisons(in: right)
            if let leftField = firstField(of: left), let rightField = firstField(of: right) {
                throw fieldComparisonError(
                    right, field: rightField, place: "on the right of `\(comparisonOperator.rawValue)`",
                    otherField: leftField)
            }
        case .membership(let subject, let items, _, _, _):
            try rejectFieldComparisons(in: subject)
            for item in items {
                try rejectFieldComparisons(in: item)
                if let subjectField = firstField(of: subject), let itemField = firstField(of: item) {
                    throw fieldComparisonError(
                        item, field: itemField, place: "in the list of `in`", otherField: subjectField)
                }
            }
        case .pattern(_, let subject, let items, _):
            try rejectFieldComparisons(in: subject)
            for item in items {
                try rejectFieldComparisons(in: item)
            }
        case .call(_, _, let arguments, _):
            for argument in arguments {
                try rejectFieldComparisons(in: argument)
            }
        }
    }

    private static func firstField(of expression: Expr) -> FieldReference? {
        var first: FieldReference?
        expression.forEachField { reference in
            if first == nil {
                first = reference
            }
        }
        return first
    }

    private static func fieldComparisonError(
        _ operand: Expr, field: FieldReference, place: String, otherField: FieldReference
    ) -> EQLCompileError {
        let found: String
        if case .field = operand {
            found = "the field `\(field.name)`"
        } else {
            found = "an expression that reads the field `\(field.name)`"
        }
        return EQLCompileError(
            at: field.position,
            "cannot compare the field `\(otherField.name)` with another field: found \(found) \(place), expected a "
                + "constant such as \"text\", 5 or null; Elasticsearch compares a field only with constants, so "
                + "compare each field with a literal")
    }
}
