import EQL
import Events

/// A rule whose query is parsed and whose stage filters are compiled against a shared ``FieldTable``.
public struct CompiledRule: Sendable {
    /// One stage of a sequence, or the single stage of an event query.
    public struct Stage: Sendable {
        public var filter: CompiledFilter
        /// Join key fields: the sequence's `by` fields followed by the stage's own.
        public var keys: [KeyField]
    }

    /// A join key field and whether it may be missing (`?field`).
    public struct KeyField: Sendable {
        public var name: String
        public var slot: Int
        public var isOptional: Bool
    }

    public let rule: Rule
    public let stages: [Stage]
    public let until: Stage?
    /// The `with maxspan=` of the query, in nanoseconds.
    public let maxspan: Int64?
    /// How far apart, in nanoseconds, the first and last events of a sequence may be: maxspan, else the rule's
    /// lookback, else the configured default.
    public let window: Int64
    /// Every field the rule reads, for `check` and for the decoder.
    public let fieldNames: [String]
    /// Slot of the rule's `timestamp_override` field, when it sets one.
    public let timestampSlot: Int?
    /// Slot of the rule's `tiebreaker_field`, when it sets one.
    public let tiebreakerSlot: Int?

    public var isSequence: Bool { stages.count > 1 }
    /// The alert members that depend on the rule alone, serialised once for every alert of the rule.
    let alertRuleMembers: [UInt8]

    /// Parses and compiles `rule`, registering the fields it reads in `fields`.
    ///
    /// - Throws: ``RuleLoadError`` at the file position of the error when the rule's file format gives it (TOML),
    ///   otherwise with the line and column inside the query text in `queryPosition` and in the message.
    public init(rule: Rule, fields: FieldTable, defaultWindow: Duration) throws {
        self.rule = rule
        self.alertRuleMembers = AlertBuilder.ruleMembers(of: rule)
        let query: Query
        do {
            query = try EQLParser.parse(rule.query)
        } catch let error as EQLSyntaxError {
            throw RuleLoadError(rule: rule, syntaxError: error)
        }
        let categoryField = rule.eventCategoryOverride ?? "event.category"
        // The rule's own fields are collected in a private table, because the shared one holds other rules' too.
        let ownFields = FieldTable()
        func compile(_ eventQuery: EventQuery, keys: [FieldReference]) throws -> Stage {
            do {
                _ = try EQLCompiler.compileFilter(eventQuery, fields: ownFields, categoryField: categoryField)
                let filter = try EQLCompiler.compileFilter(eventQuery, fields: fields, categoryField: categoryField)
                let keyFields = keys.map {
                    KeyField(name: $0.name, slot: fields.slot(for: $0.name), isOptional: $0.isOptional)
                }
                return Stage(filter: filter, keys: keyFields)
            } catch let error as EQLCompileError {
                throw RuleLoadError(rule: rule, compileError: error)
            }
        }
        switch query.body {
        case .event(let eventQuery):
            stages = [try compile(eventQuery, keys: [])]
            until = nil
            maxspan = nil
        case .sequence(let sequence):
            stages = try sequence.stages.map { try compile($0.query, keys: sequence.by + $0.by) }
            until = try sequence.until.map { try compile($0.query, keys: sequence.by + $0.by) }
            maxspan = sequence.maxspan.map { Self.nanoseconds($0) }
        }
        let lookback = rule.lookback.map { Self.nanoseconds($0) }
        window = maxspan ?? lookback ?? Self.nanoseconds(defaultWindow)
        var names = Set(ownFields.names)
        names.formUnion(stages.flatMap { $0.keys.map(\.name) })
        names.formUnion(until?.keys.map(\.name) ?? [])
        timestampSlot = rule.timestampOverride.map { fields.slot(for: $0) }
        tiebreakerSlot = rule.tiebreakerField.map { fields.slot(for: $0) }
        names.formUnion([rule.timestampOverride, rule.tiebreakerField].compactMap { $0 })
        fieldNames = names.sorted()
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
