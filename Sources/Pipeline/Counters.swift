import Events

/// Running totals of one processor, for logs, the replay summary and tests.
public struct Counters: Sendable {
    public var consumed = 0
    public var decodeFailures: [DecodeFailureReason: Int] = [:]
    /// Rejected messages copied to the dead-letter topic.
    public var deadLettered = 0
    public var lateEvents = 0
    public var futureEvents = 0
    /// Held events dropped at the cap on held events.
    public var evictedEvents = 0
    public var alertsProduced = 0
    public var alertsSuppressed = 0
    /// Alerts produced again after a failed attempt; not counted in `alertsProduced`.
    public var alertRetries = 0
    /// Alerts dropped because the producer can never accept them.
    public var alertsDropped = 0
    public var alertsDelivered = 0
    public var deliveryFailures = 0
    public var commits = 0
    public var commitFailures = 0
    public var rebalances = 0
    /// Rule reloads (SIGHUP) applied, and those rejected because a rule failed to load.
    public var ruleReloads = 0
    public var ruleReloadFailures = 0

    public init() {}

    public var badMessages: Int { decodeFailures.values.reduce(0, +) }

    public var summary: String {
        var parts = [
            "consumed=\(consumed)", "bad=\(badMessages)", "dead_lettered=\(deadLettered)", "late=\(lateEvents)", "future=\(futureEvents)", "evicted=\(evictedEvents)", "alerts=\(alertsProduced)",
            "suppressed=\(alertsSuppressed)", "retried=\(alertRetries)", "dropped=\(alertsDropped)",
            "rule_reloads=\(ruleReloads)", "rule_reload_failures=\(ruleReloadFailures)",
        ]
        for reason in DecodeFailureReason.allCases {
            if let count = decodeFailures[reason] { parts.append("bad_\(reason.rawValue)=\(count)") }
        }
        return parts.joined(separator: " ")
    }
}

/// Lets a repeated log line through once per interval and counts what it held back.
struct RateLimiter {
    private var lastEmitted: ContinuousClock.Instant?
    private(set) var suppressed = 0
    let interval: Duration

    init(interval: Duration = .seconds(5)) { self.interval = interval }

    /// Returns the number of lines held back since the last one let through, or `nil` to hold this one back.
    mutating func admit(now: ContinuousClock.Instant = .now) -> Int? {
        if let lastEmitted, now - lastEmitted < interval {
            suppressed += 1
            return nil
        }
        lastEmitted = now
        defer { suppressed = 0 }
        return suppressed
    }
}
