/// A parsed EQL query: one event query or one sequence.
public struct Query {
    public enum Body {
        case event(EventQuery)
        case sequence(SequenceQuery)
    }

    public var body: Body

    public init(body: Body) {
        self.body = body
    }
}

/// A `category where condition` query, the unit that one compiled filter evaluates.
public struct EventQuery {
    /// The event category to match, or `nil` for `any`.
    public var category: String?
    public var condition: Expr
    /// The position of the category keyword or string.
    public var position: SourcePosition

    public init(category: String?, condition: Expr, position: SourcePosition) {
        self.category = category
        self.condition = condition
        self.position = position
    }
}

/// A `sequence` query: ordered stages joined on shared keys, optionally within a time span.
public struct SequenceQuery {
    /// The join keys that every stage shares, from `sequence by …`.
    public var by: [FieldReference]
    /// The maximum time between the first and the last event, from `with maxspan=…`.
    public var maxspan: Duration?
    /// The stages in order, with each `with runs=N` stage already repeated N times.
    public var stages: [SequenceStage]
    /// The stage whose match discards the partial sequences with the same keys.
    public var until: SequenceStage?

    public init(by: [FieldReference], maxspan: Duration?, stages: [SequenceStage], until: SequenceStage?) {
        self.by = by
        self.maxspan = maxspan
        self.stages = stages
        self.until = until
    }
}

/// One bracketed stage of a sequence with its own join keys.
public struct SequenceStage {
    public var query: EventQuery
    /// The stage's join keys from `[…] by …`, which follow the sequence's shared keys.
    public var by: [FieldReference]

    public init(query: EventQuery, by: [FieldReference]) {
        self.query = query
        self.by = by
    }
}

/// A field named in a query.
public struct FieldReference: Hashable, Sendable {
    /// The dotted field name with backquotes removed, such as `process.name`.
    public var name: String
    /// Whether the field was written with a leading `?`.
    public var isOptional: Bool
    public var position: SourcePosition

    public init(name: String, isOptional: Bool = false, position: SourcePosition) {
        self.name = name
        self.isOptional = isOptional
        self.position = position
    }
}
