/// Event time in nanoseconds since the Unix epoch, UTC.
public typealias EventTime = Int64

/// Parsers for the timestamp forms ECS events carry.
public enum Timestamp {
    /// Parses an ISO 8601 date or date-time as Elasticsearch's default date format (`strict_date_optional_time`)
    /// reads it, such as `2019-03-18T16:57:37.964Z`.
    ///
    /// The time may be left out (midnight), and so may minutes and seconds; a missing zone means UTC. Accepts 0 to 9
    /// fractional digits after the seconds, `Z` or a `+hh:mm` / `-hh:mm` / `+hhmm` offset, and `T` or a space
    /// between date and time. Returns `nil` for anything else, so the caller can report the text.
    public static func parse<Bytes: Collection<UInt8>>(_ text: Bytes) -> EventTime? where Bytes.Index == Int {
        var reader = DigitReader(bytes: text, index: text.startIndex)
        guard let year = reader.number(digits: 4), reader.skip(UInt8(ascii: "-")),
            let month = reader.number(digits: 2), reader.skip(UInt8(ascii: "-")),
            let day = reader.number(digits: 2)
        else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var hasSeconds = false
        if !reader.isAtEnd {
            guard reader.skip(UInt8(ascii: "T")) || reader.skip(UInt8(ascii: "t")) || reader.skip(UInt8(ascii: " "))
            else { return nil }
            guard let hours = reader.number(digits: 2) else { return nil }
            hour = hours
            if reader.skip(UInt8(ascii: ":")) {
                guard let minutes = reader.number(digits: 2) else { return nil }
                minute = minutes
                if reader.skip(UInt8(ascii: ":")) {
                    guard let seconds = reader.number(digits: 2) else { return nil }
                    second = seconds
                    hasSeconds = true
                }
            }
        }
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }

        var nanos: Int64 = 0
        if hasSeconds, reader.skip(UInt8(ascii: ".")) || reader.skip(UInt8(ascii: ",")) {
            var digits = 0
            while let digit = reader.digit() {
                guard digits < 9 else { return nil }
                nanos = nanos * 10 + Int64(digit)
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanos *= 10 }
        }

        var offsetSeconds: Int64 = 0
        if reader.skip(UInt8(ascii: "Z")) || reader.skip(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = reader.sign() {
            guard let offsetHours = reader.number(digits: 2) else { return nil }
            _ = reader.skip(UInt8(ascii: ":"))
            guard let offsetMinutes = reader.number(digits: 2), offsetHours < 24, offsetMinutes < 60 else {
                return nil
            }
            offsetSeconds = sign * Int64(offsetHours * 3600 + offsetMinutes * 60)
        }
        guard reader.isAtEnd else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offsetSeconds
        // Int64 nanoseconds reach from 1677 to 2262. A date outside that range returns nil instead of trapping on overflow.
        let (scaled, multiplyOverflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (time, addOverflow) = scaled.addingReportingOverflow(nanos)
        guard !multiplyOverflow, !addOverflow else { return nil }
        return time
    }

    /// Formats nanoseconds since the epoch as `yyyy-MM-ddTHH:mm:ss.SSSZ` (millisecond precision, as Elastic writes).
    public static func format(_ time: EventTime) -> String {
        var seconds = time / 1_000_000_000
        var nanos = time % 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civilFromDays(days)
        let millis = nanos / 1_000_000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2) + "." + pad(millis, 3) + "Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    private static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

private struct DigitReader<Bytes: Collection<UInt8>> where Bytes.Index == Int {
    let bytes: Bytes
    var index: Int

    var isAtEnd: Bool { index == bytes.endIndex }

    mutating func digit() -> Int? {
        guard index < bytes.endIndex else { return nil }
        let byte = bytes[index]
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        index += 1
        return Int(byte - UInt8(ascii: "0"))
    }

    mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < bytes.endIndex, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func sign() -> Int64? {
        if skip(UInt8(ascii: "+")) { return 1 }
        if skip(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}
