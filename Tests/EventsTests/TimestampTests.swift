import Events
import Foundation
import Testing

@Suite("Timestamp")
struct TimestampTests {
    /// Seconds since the epoch of a whole-second UTC date-time, computed by Foundation as an independent reference.
    func referenceSeconds(_ text: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let date = try #require(formatter.date(from: text), "Foundation cannot parse \(text)")
        return Int64(date.timeIntervalSince1970)
    }

    @Test("whole seconds agree with Foundation", arguments: [
        "2019-03-18T16:57:48Z",
        "1970-01-01T00:00:00Z",
        "2000-02-29T23:59:59Z",
        "2022-04-04T18:53:08Z",
        "1969-07-20T20:17:40Z",
        "2100-12-31T12:00:00Z",
    ])
    func wholeSeconds(text: String) throws {
        let parsed = try #require(parseTimestamp(text))
        let reference = try referenceSeconds(text)
        #expect(parsed == reference * 1_000_000_000)
    }

    @Test("fractional digits scale to nanoseconds", arguments: [
        ("2019-03-18T16:57:48.1Z", 100_000_000),
        ("2019-03-18T16:57:48.12Z", 120_000_000),
        ("2019-03-18T16:57:48.123Z", 123_000_000),
        ("2019-03-18T16:57:48.123456Z", 123_456_000),
        ("2019-03-18T16:57:48.1234567Z", 123_456_700),
        ("2019-03-18T16:57:48.123456789Z", 123_456_789),
        ("2019-03-18T16:57:48.000000001Z", 1),
        ("2019-03-18T16:57:48,5Z", 500_000_000),
    ] as [(String, Int64)])
    func fractionalDigits(text: String, nanos: Int64) throws {
        let base = try #require(parseTimestamp("2019-03-18T16:57:48Z"))
        let parsed = try #require(parseTimestamp(text))
        #expect(parsed - base == nanos)
    }

    @Test("mixed precision compares as instants")
    func precisionComparesAsInstants() throws {
        let twoDigits = try #require(parseTimestamp("2019-03-18T16:57:48.07Z"))
        let threeDigits = try #require(parseTimestamp("2019-03-18T16:57:48.148Z"))
        let sevenDigits = try #require(parseTimestamp("2022-04-04T18:53:08.6578986Z"))
        let laterSevenDigits = try #require(parseTimestamp("2022-04-04T18:53:09.6007809Z"))
        #expect(twoDigits < threeDigits)
        #expect(sevenDigits < laterSevenDigits)
        #expect(parseTimestamp("2019-03-18T16:57:48.1Z") == parseTimestamp("2019-03-18T16:57:48.100000000Z"))
        #expect(parseTimestamp("2019-03-18T16:57:48Z") == parseTimestamp("2019-03-18T16:57:48.000Z"))
        // Compared as text, ".1Z" sorts after ".148Z", but as an instant it is earlier.
        let oneDigit = try #require(parseTimestamp("2019-03-18T16:57:48.1Z"))
        #expect(oneDigit < threeDigits)
    }

    @Test("offsets are converted to UTC", arguments: [
        "2019-03-18T18:57:48.148+02:00",
        "2019-03-18T18:57:48.148+0200",
        "2019-03-18T11:27:48.148-05:30",
        "2019-03-19T02:57:48.148+10:00",
        "2019-03-18T16:57:48.148+00:00",
        "2019-03-18 16:57:48.148Z",
        "2019-03-18t16:57:48.148z",
    ])
    func offsets(text: String) {
        #expect(parseTimestamp(text) == parseTimestamp("2019-03-18T16:57:48.148Z"))
    }

    @Test("offset crossing midnight and a year")
    func offsetAcrossYear() {
        #expect(parseTimestamp("2019-01-01T01:00:00+02:00") == parseTimestamp("2018-12-31T23:00:00Z"))
    }

    @Test("leap day only in leap years")
    func leapDay() {
        #expect(parseTimestamp("2020-02-29T00:00:00Z") != nil)
        #expect(parseTimestamp("2000-02-29T00:00:00Z") != nil)
        #expect(parseTimestamp("2019-02-29T00:00:00Z") == nil)
        #expect(parseTimestamp("1900-02-29T00:00:00Z") == nil)
    }

    @Test("invalid date-times are rejected", arguments: [
        "2019-02-30T00:00:00Z",
        "2019-13-01T00:00:00Z",
        "2019-00-10T00:00:00Z",
        "2019-04-31T00:00:00Z",
        "2019-03-00T00:00:00Z",
        "2019-03-18T24:00:00Z",
        "2019-03-18T16:60:00Z",
        "2019-03-18T16:57:48.1234567890Z",
        "2019-03-18T16:57:48.Z",
        "2019-03-18T16:57:48.148+2:00",
        "2019-03-18T16:57:48.148+24:00",
        "2019-03-18T16:57:48.148Z ",
        "2019-03-18T",
        "2019-03-18T16:5",
        "2019-03-18T16:57:4",
        "2019-03-18T16.5",
        "2019-3-18T16:57:48Z",
        "19-03-18T16:57:48Z",
        "2019-03-18X16:57:48Z",
        "",
    ])
    func invalid(text: String) {
        #expect(parseTimestamp(text) == nil)
    }

    @Test("optional time parts and zone as Elasticsearch reads them", arguments: [
        ("2019-03-18", "2019-03-18T00:00:00Z"),
        ("2019-03-18T16", "2019-03-18T16:00:00Z"),
        ("2019-03-18T16:57", "2019-03-18T16:57:00Z"),
        ("2019-03-18T16:57:48", "2019-03-18T16:57:48Z"),
        ("2019-03-18T16:57:48.148", "2019-03-18T16:57:48.148Z"),
        ("2019-03-18T18:57+02:00", "2019-03-18T16:57:00Z"),
    ])
    func optionalParts(text: String, equivalent: String) throws {
        let time = try #require(parseTimestamp(text))
        #expect(time == parseTimestamp(equivalent))
    }

    @Test("format writes milliseconds in UTC")
    func formatMilliseconds() throws {
        let time = try #require(parseTimestamp("2019-03-18T18:57:37.9641234+02:00"))
        #expect(Timestamp.format(time) == "2019-03-18T16:57:37.964Z")
    }

    @Test("format and parse round trip", arguments: [
        "2019-03-18T16:57:37.964Z",
        "1970-01-01T00:00:00.000Z",
        "1969-12-31T23:59:59.999Z",
        "2000-02-29T23:59:59.001Z",
        "2022-04-04T18:53:08.657Z",
        "2262-04-11T23:47:16.854Z",
        "1677-09-21T00:12:44.000Z",
    ])
    func roundTrip(text: String) throws {
        let time = try #require(parseTimestamp(text))
        #expect(Timestamp.format(time) == text)
        #expect(parseTimestamp(Timestamp.format(time)) == time)
    }

    @Test("latest date-time is Int64.max nanoseconds")
    func rangeLimit() {
        #expect(parseTimestamp("2262-04-11T23:47:16.854775807Z") == Int64.max)
    }

    @Test("date-times outside Int64 range", arguments: [
        "2262-04-11T23:47:16.854775808Z",
        "1677-09-21T00:12:43.145224191Z",
        "9999-12-31T23:59:59.999Z",
        "0001-01-01T00:00:00Z",
        "2262-04-12T00:00:00Z",
    ])
    func outOfRange(text: String) {
        #expect(parseTimestamp(text) == nil)
    }

    @Test("format before the epoch rounds down")
    func formatBeforeEpoch() {
        #expect(Timestamp.format(-1) == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp.format(-1_000_000_000) == "1969-12-31T23:59:59.000Z")
    }
}
