import EQL

/// A detection rule as Kibana stores it: the EQL query and the metadata that alerts carry.
public struct Rule: Sendable {
    public var ruleID: String
    /// Kibana's saved-object id, when the file has one; alerts fall back to `ruleID`.
    public var id: String?
    public var name: String
    public var description: String
    public var type: String
    public var language: String
    public var query: String
    public var severity: String
    public var riskScore: Int64
    public var version: Int64
    public var tags: [String]
    public var references: [String]
    public var threat: JSONValue
    /// Lookback start, as Kibana writes it (`now-9m`).
    public var from: String
    /// Schedule interval, as Kibana writes it (`5m`).
    public var interval: String
    public var timestampOverride: String?
    public var tiebreakerField: String?
    public var eventCategoryOverride: String?
    /// Where the rule was read from, for messages.
    public var source: String
    /// The location of `query` in the file, so that query errors can name a file position when the format gives it.
    public var queryPlacement: QueryPlacement = .jsonString(line: nil)
    /// Kibana's `enabled`; a disabled rule is loaded and checked but does not run.
    public var isEnabled = true
    /// Entries in Kibana's `exceptions_list`.
    /// NOTE: exception lists live in Kibana, not in the rule file, so they are not applied; check and run warn.
    public var exceptionListCount = 0

    /// The lookback span that `from` and `interval` give: `now-9m` is 9 minutes.
    public var lookback: Duration? {
        guard from.hasPrefix("now-") else { return nil }
        return TimeSpan.parse(String(from.dropFirst(4)))
    }

    public var intervalSpan: Duration? {
        TimeSpan.parse(interval)
    }
}

/// A rule file that could not be used, with the place and a fix.
public struct RuleLoadError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    /// The line and column inside the query text, for a query error in a rule whose file positions are not known.
    public var queryPosition: SourcePosition?
    public var message: String

    public init(
        file: String, line: Int? = nil, column: Int? = nil, queryPosition: SourcePosition? = nil, _ message: String
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.queryPosition = queryPosition
        self.message = message
    }

    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(message)"
    }
}
