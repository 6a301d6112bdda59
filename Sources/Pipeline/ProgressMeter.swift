/// The progress line that `replay` and `generate` show on a terminal: events, events per second, and the percent
/// done when the total is known.
///
/// The meter only formats and rate-limits, and the command decides whether standard error is a terminal.
public struct ProgressMeter: Sendable {
    /// Units of work in all (bytes for `replay`, events for `generate`), or `nil` when unknown.
    public let total: Int64?
    /// The shortest time between two lines, so a terminal is redrawn a few times a second at most.
    public let interval: Duration
    private let started: ContinuousClock.Instant
    private var lastShown: ContinuousClock.Instant?

    /// Moves the cursor to the start of the line and erases it (carriage return, then ANSI "erase in line").
    public static let clearLine = "\r\u{1B}[K"

    public init(total: Int64?, interval: Duration = .milliseconds(250), now: ContinuousClock.Instant = .now) {
        self.total = total
        self.interval = interval
        self.started = now
    }

    /// Returns the line to draw for `events` handled and `done` units of `total`, or `nil` when the last line was
    /// drawn less than `interval` ago.
    public mutating func update(events: Int, done: Int64, now: ContinuousClock.Instant = .now) -> String? {
        if let lastShown, now - lastShown < interval { return nil }
        lastShown = now
        return Self.clearLine + Self.format(events: events, elapsed: now - started, done: done, total: total)
    }

    /// Formats one progress line, e.g. `1,200,000 events  85,000 events/s  42%`.
    public static func format(events: Int, elapsed: Duration, done: Int64, total: Int64?) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int((Double(events) / seconds).rounded()) : 0
        var line = "\(grouped(events)) events  \(grouped(rate)) events/s"
        if let total, total > 0 {
            let percent = min(100, Int(done * 100 / total))
            line += "  \(percent)%"
        }
        return line
    }

    /// Returns `number` with a comma between each group of three digits.
    static func grouped(_ number: Int) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return number < 0 ? "-" + result : result
    }
}
