/// A compiled event filter: the category check and the condition of one ``EventQuery``.
///
/// Evaluation reads fields through the slots registered at compile time and does not parse or compile anything.
public struct CompiledFilter: Sendable {
    let condition: Condition

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
    ///   an invalid pattern or CIDR block, or a condition that is not boolean.
    public static func compileFilter(
        _ query: EventQuery, fields: FieldTable, categoryField: String = "event.category"
    ) throws -> CompiledFilter {
        let compiler = ExpressionCompiler(fields: fields)
        let condition = try compiler.condition(query.condition)
        guard let category = query.category else {
            return CompiledFilter(condition: condition)
        }
        let slot = fields.slot(for: categoryField)
        let expected = EQLValue.string(category)
        return CompiledFilter(condition: { event in
            guard let value = event.value(atSlot: slot),
                ValueComparison.anyElement(value, { ValueComparison.equals($0, expected) })
            else {
                return .isFalse
            }
            return condition(event)
        })
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
}
