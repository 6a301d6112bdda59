import Detection
import EQL
import Events

/// Rules compiled together: one field table, so each event is decoded once for all of them.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    public let decoder: EventDecoder
    /// The slots of every field the rules read. A reload starts from it, so that unchanged rules keep their slots.
    public let fields: FieldTable

    /// Loads and compiles every rule under `path`.
    public init(path: String, defaultWindow: Duration, maxMessageBytes: Int = 1_048_576) throws {
        try self.init(rules: RuleLoader.load(path: path), defaultWindow: defaultWindow, maxMessageBytes: maxMessageBytes)
    }

    /// Rules whose file sets `enabled: false`; they are compiled, so their errors still surface, but do not run.
    public let disabled: [Rule]

    /// Compiles `rules`. With `previous`, every field keeps the slot it has there, so events that the previous rules
    /// decoded and still store stay readable by the rules that did not change.
    public init(rules: [Rule], defaultWindow: Duration, maxMessageBytes: Int = 1_048_576, previous: RuleSet? = nil) throws {
        let fields = FieldTable()
        // NOTE: fields that only removed rules read stay in the table, so the decoder keeps reading them until a
        // restart.
        for name in previous?.fields.names ?? [] {
            _ = fields.slot(for: name)
        }
        // Disabled rules compile into a scratch table so they neither run nor make the decoder read their fields.
        for rule in rules where !rule.isEnabled {
            _ = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: defaultWindow)
        }
        disabled = rules.filter { !$0.isEnabled }
        let compiled = try rules.filter(\.isEnabled).map {
            try CompiledRule(rule: $0, fields: fields, defaultWindow: defaultWindow)
        }
        self.rules = compiled
        self.fields = fields
        // `@timestamp` drives each partition's watermark; a rule with timestamp_override orders its own sequences
        // by its field.
        var decoder = EventDecoder(fields: fields, maxMessageBytes: maxMessageBytes)
        decoder.relevanceTest = SequenceMatcher.relevanceTest(for: compiled)
        self.decoder = decoder
    }
}
