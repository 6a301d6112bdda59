/// Parser for the time spans of `with maxspan=…`.
public enum TimeSpan {
    /// The accepted units with their length in nanoseconds.
    ///
    /// Elasticsearch documents `d`, `h`, `m`, `s`, `ms`, `micros` and `nanos` for EQL time values. The unit is
    /// case-sensitive and must directly follow the number.
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("nanos", 1),
        ("micros", 1_000),
        ("ms", 1_000_000),
        ("s", 1_000_000_000),
        ("m", 60_000_000_000),
        ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
    ]

    /// The units as an error message lists them.
    static let unitList = "ms, s, m, h, d, micros, nanos"

    /// Parses a span such as `5m`, `30s`, `100ms`, `2h` or `1d`.
    ///
    /// Returns `nil` for a missing or unknown unit, a sign, a fraction, or a span that does not fit in 64-bit
    /// nanoseconds. A zero span such as `0s` is accepted.
    public static func parse(_ text: String) -> Duration? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty, let count = Int64(digits) else {
            return nil
        }
        guard let match = units.first(where: { $0.suffix == unit }) else {
            return nil
        }
        let (nanoseconds, overflow) = count.multipliedReportingOverflow(by: match.nanoseconds)
        if overflow {
            return nil
        }
        return .nanoseconds(nanoseconds)
    }
}
