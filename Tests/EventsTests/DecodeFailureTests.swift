import EQL
import Events
import Testing

@Suite("Decoder failures")
struct DecodeFailureTests {
    let fixture = DecoderFixture(fields: ["process.name"])

    /// Builds `{"@timestamp":"…","process":{"name":"<bytes>"}}` around raw bytes placed inside a string.
    func eventWithName(bytes: [UInt8]) -> [UInt8] {
        Array(#"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"a"#.utf8) + bytes + Array(#"b"}}"#.utf8)
    }

    /// Builds an event whose unregistered field `winlog.text` contains raw bytes.
    func eventWithUnregisteredText(bytes: [UInt8]) -> [UInt8] {
        Array(#"{"@timestamp":"2019-03-18T16:57:37.964Z","winlog":{"text":"a"#.utf8) + bytes + Array(#"b"}}"#.utf8)
    }

    @Test("invalid JSON", arguments: [
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"exp"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"expand.exe"}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z"} x"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z"}{}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"a\qb"}}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","other":"a\qb"}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","other":"\u12G4"}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","other":[1,]}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","other":01}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z","other":tru}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964Z",}"#,
        #"{"@timestamp" "2019-03-18T16:57:37.964Z"}"#,
        "{\"@timestamp\":\"2019-03-18T16:57:37.964Z\",\"other\":\"tab\there\"}",
        "",
        "   ",
        "[1,",
    ])
    func invalidJSON(message: String) {
        let error = fixture.failure(message)
        #expect(error?.reason == .invalidJSON, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("nesting deeper than the limit is invalid JSON")
    func deepNesting() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let error = fixture.failure(#"{"@timestamp":"2019-03-18T16:57:37.964Z","other":"# + deep + "}")
        #expect(error?.reason == .invalidJSON)
    }

    @Test("top level that is not an object", arguments: [
        #"[{"@timestamp":"2019-03-18T16:57:37.964Z"}]"#,
        "42",
        #""2019-03-18T16:57:37.964Z""#,
        "null",
        " true ",
    ])
    func notAnObject(message: String) {
        let error = fixture.failure(message)
        #expect(error?.reason == .notAnObject, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("invalid UTF-8 in a registered field", arguments: [
        [0xC3] as [UInt8],
        [0xC0, 0xAF],
        [0xED, 0xA0, 0x80],
        [0xE0, 0x80, 0xAF],
        [0xF4, 0x90, 0x80, 0x80],
        [0xFF],
        [0x80],
    ])
    func invalidUTF8Registered(bytes: [UInt8]) {
        let error = fixture.failure(eventWithName(bytes: bytes))
        #expect(error?.reason == .invalidUTF8, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("invalid UTF-8 in a skipped field", arguments: [
        [0xC3] as [UInt8],
        [0xC0, 0xAF],
        [0xED, 0xA0, 0x80],
    ])
    func invalidUTF8Skipped(bytes: [UInt8]) {
        let error = fixture.failure(eventWithUnregisteredText(bytes: bytes))
        #expect(error?.reason == .invalidUTF8, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("invalid UTF-8 error offset")
    func invalidUTF8Offset() throws {
        let message = eventWithName(bytes: [0xC0, 0xAF])
        let error = try #require(fixture.failure(message))
        let badIndex = try #require(message.firstIndex(of: 0xC0))
        #expect(error.byteOffset == badIndex)
    }

    @Test("valid multi-byte UTF-8 is accepted")
    func validUTF8() throws {
        let bytes: [UInt8] = [0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80]
        let event = try fixture.decoder.decode(eventWithName(bytes: bytes))
        #expect(try fixture.value("process.name", in: event) == .string("a\u{e9}\u{20ac}\u{1F600}b"))
    }

    @Test("message over the size limit")
    func oversized() throws {
        let message = #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"expand.exe"}}"#
        let atLimit = DecoderFixture(fields: ["process.name"], maxMessageBytes: message.utf8.count)
        let belowLimit = DecoderFixture(fields: ["process.name"], maxMessageBytes: message.utf8.count - 1)
        #expect(atLimit.failure(message) == nil)
        let error = try #require(belowLimit.failure(message))
        #expect(error.reason == .oversized)
    }

    @Test("oversized is checked before JSON")
    func oversizedBeforeSyntax() {
        let small = DecoderFixture(fields: [], maxMessageBytes: 4)
        #expect(small.failure("{{{{{").map(\.reason) == .oversized)
    }

    @Test("timestamp of the wrong type", arguments: [
        #"{"@timestamp":{"value":"2019-03-18T16:57:37.964Z"}}"#,
        #"{"@timestamp":true}"#,
        #"{"@timestamp":1.5}"#,
        #"{"@timestamp":[]}"#,
        #"{"@timestamp":["2019-03-18T16:57:37.964Z","2019-03-18T16:57:38.964Z"]}"#,
    ])
    func wrongFieldType(message: String) {
        let error = fixture.failure(message)
        #expect(error?.reason == .wrongFieldType, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("timestamp that does not parse", arguments: [
        #"{"@timestamp":"yesterday"}"#,
        #"{"@timestamp":"2019-02-30T00:00:00Z"}"#,
        #"{"@timestamp":"2019-03-18T16:57:37.964+2"}"#,
        #"{"@timestamp":""}"#,
        #"{"@timestamp":9223372036854775}"#,
        #"{"@timestamp":"9999-12-31T23:59:59Z"}"#,
    ])
    func unparseableTimestamp(message: String) {
        let error = fixture.failure(message)
        #expect(error?.reason == .unparseableTimestamp, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("missing timestamp", arguments: [
        #"{"process":{"name":"expand.exe"}}"#,
        #"{"@timestamp":null}"#,
        "{}",
        #"{"timestamp":"2019-03-18T16:57:37.964Z"}"#,
    ])
    func missingTimestamp(message: String) {
        let error = fixture.failure(message)
        #expect(error?.reason == .missingTimestamp, "\(error.map(String.init(describing:)) ?? "decoded")")
    }

    @Test("error description names the reason")
    func errorDescription() throws {
        let error = try #require(fixture.failure(#"{"@timestamp":"yesterday"}"#))
        #expect(error.description.hasPrefix("unparseable_timestamp at byte "))
        #expect(error.description.contains("yesterday"))
    }
}
