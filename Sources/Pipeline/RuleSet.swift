import Detection
import EQL
import Events

/// Rules compiled together: one field table, so each event is decoded once for all of them.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    public let decoder: EventDecoder

    /// Loads and compiles every rule under `path`.
    public init(path: String, defaultWindow: Duration, maxMessageBytes: Int = 1_048_576) throws {
        try self.init(rules: RuleLoader.load(path: path), defaultWindow: defaultWindow, maxMessageBytes: maxMessageBytes)
    }

    public init(rules: [Rule], defaultWindow: Duration, maxMessageBytes: Int = 1_048_576) throws {
        let fields = FieldTable()
        let compiled = try rules.map { try CompiledRule(rule: $0, fields: fields, defaultWindow: defaultWindow) }
        self.rules = compiled
        // `@timestamp` drives each partition's watermark; a rule with timestamp_override orders its own sequences
        // by its field.
        self.decoder = EventDecoder(fields: fields, maxMessageBytes: maxMessageBytes)
    }
}
