import EQL
import Events
import Testing

@Suite("Decoder field paths")
struct DecoderFieldTests {
    let fixture = DecoderFixture(fields: ["process.name", "process.parent.name", "event.category", "destination.ip"])

    @Test("nested, dotted and mixed keys read alike")
    func nestedDottedMixed() throws {
        let documents = [
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"parent":{"name":"svchost.exe"}}}"#,
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","process.parent.name":"svchost.exe"}"#,
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","process.parent":{"name":"svchost.exe"}}"#,
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"parent.name":"svchost.exe"}}"#,
        ]
        for document in documents {
            let value = try fixture.value("process.parent.name", decoding: document)
            #expect(value == .string("svchost.exe"), "\(document)")
        }
    }

    @Test("sibling fields under one nested object")
    func siblingFields() throws {
        let event = try fixture.decode(
            #"{"process":{"name":"expand.exe","parent":{"name":"svchost.exe"}},"@timestamp":"2019-03-18T16:57:37.964Z"}"#
        )
        #expect(try fixture.value("process.name", in: event) == .string("expand.exe"))
        #expect(try fixture.value("process.parent.name", in: event) == .string("svchost.exe"))
    }

    @Test("nested plus dotted path is multi-valued")
    func nestedAndDottedTogether() throws {
        let value = try fixture.value(
            "process.name",
            decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"a.exe"},"process.name":"b.exe"}"#
        )
        #expect(value == .array([.string("a.exe"), .string("b.exe")]))
    }

    @Test("category as array or as string")
    func categoryArrayOrString() throws {
        let asArray = try fixture.value(
            "event.category", decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","event":{"category":["process"]}}"#)
        let asString = try fixture.value(
            "event.category", decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","event":{"category":"process"}}"#)
        #expect(asArray == .array([.string("process")]))
        #expect(asString == .string("process"))
    }

    @Test("category filter matches both spellings")
    func categoryFilterMatchesBoth() throws {
        let table = FieldTable()
        let query = try EQLParser.parseEventQuery(#"process where process.name == "expand.exe""#)
        let filter = try EQLCompiler.compileFilter(query, fields: table)
        let decoder = EventDecoder(fields: table)
        let documents = [
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","event":{"category":["process"]},"process":{"name":"expand.exe"}}"#,
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","event.category":"process","process.name":"expand.exe"}"#,
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","event":{"category":["network","process"]},"process.name":"expand.exe"}"#,
        ]
        for document in documents {
            let event = try decoder.decode(Array(document.utf8))
            #expect(filter.matches(event), "\(document)")
        }
        let network = try decoder.decode(
            Array(#"{"@timestamp":"2019-03-18T16:57:37.964Z","event":{"category":["network"]},"process":{"name":"expand.exe"}}"#.utf8))
        #expect(!filter.matches(network))
    }

    @Test("nested arrays are flattened")
    func nestedArraysFlattened() throws {
        let value = try fixture.value(
            "destination.ip", decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","destination":{"ip":[["10.0.0.1"],"8.8.8.8",[]]}}"#)
        #expect(value == .array([.string("10.0.0.1"), .string("8.8.8.8")]))
    }

    @Test("array of objects collects the inner field")
    func arrayOfObjects() throws {
        let value = try fixture.value(
            "destination.ip",
            decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","destination":[{"ip":"10.0.0.1"},{"port":53},{"ip":"8.8.8.8"}]}"#)
        #expect(value == .array([.string("10.0.0.1"), .string("8.8.8.8")]))
    }

    @Test("object value reads as missing")
    func objectReadsAsMissing() throws {
        let event = try fixture.decode(
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":{"first":"expand","ext":"exe"},"parent":{"name":"svchost.exe"}}}"#
        )
        #expect(try fixture.value("process.name", in: event) == nil)
        #expect(try fixture.value("process.parent.name", in: event) == .string("svchost.exe"))
    }

    @Test("scalar types are kept")
    func scalarTypes() throws {
        let numbers = DecoderFixture(fields: ["a", "b", "c", "d", "e", "f"])
        let event = try numbers.decode(
            #"{"@timestamp":"2019-03-18T16:57:37.964Z","a":-42,"b":1.5e3,"c":true,"d":null,"e":9223372036854775808,"f":0.25}"#
        )
        #expect(try numbers.value("a", in: event) == .integer(-42))
        #expect(try numbers.value("b", in: event) == .double(1500))
        #expect(try numbers.value("c", in: event) == .bool(true))
        #expect(try numbers.value("d", in: event) == .null)
        #expect(try numbers.value("e", in: event) == .double(9_223_372_036_854_775_808))
        #expect(try numbers.value("f", in: event) == .double(0.25))
    }

    @Test("unregistered fields are skipped")
    func unregisteredFieldsSkipped() throws {
        let document = """
            {"winlog":{"event_data":{"list":[1,-2.5e-3,true,false,null,{"deep":[[{}],[]]}],"text":"\\u00e9\\"\\\\"}},
             "@timestamp":"2019-03-18T16:57:37.964Z",
             "process.names":"wrong.exe",
             "process":{"name.first":"wrong.exe","pid":5028,"args":["a","b"],"name":"expand.exe"},
             "processname":"wrong.exe",
             "ünïcode":"ключ"}
            """
        let event = try fixture.decode(document)
        #expect(try fixture.value("process.name", in: event) == .string("expand.exe"))
        #expect(try fixture.value("process.parent.name", in: event) == nil)
        #expect(try fixture.value("destination.ip", in: event) == nil)
        #expect(event.slots.count == fixture.table.count)
    }

    @Test("escapes in strings are decoded")
    func escapesDecoded() throws {
        let value = try fixture.value(
            "process.name",
            decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","process":{"name":"C:\\Win\"dows\"\/a\tb\nc\u00e9\u00C9\b\f\r"}}"#)
        #expect(value == .string("C:\\Win\"dows\"/a\tb\nc\u{e9}\u{c9}\u{8}\u{c}\r"))
    }

    @Test("surrogate pair decodes to one scalar")
    func surrogatePair() throws {
        let value = try fixture.value(
            "process.name", decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","process.name":"a\ud83d\ude00b"}"#)
        #expect(value == .string("a\u{1F600}b"))
    }

    @Test("raw UTF-8 in strings is kept")
    func rawUTF8Kept() throws {
        let value = try fixture.value(
            "process.name", decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","process.name":"Microsoft® Windows® 😀"}"#)
        #expect(value == .string("Microsoft® Windows® 😀"))
    }

    @Test("escaped key is matched after decoding")
    func escapedKey() throws {
        let value = try fixture.value(
            "process.name", decoding: #"{"@timestamp":"2019-03-18T16:57:37.964Z","process.\u006eame":"expand.exe"}"#)
        #expect(value == .string("expand.exe"))
    }

    @Test("epoch milliseconds as event time")
    func epochMilliseconds() throws {
        let event = try fixture.decode(#"{"@timestamp":1552928257964}"#)
        #expect(event.time == parseTimestamp("2019-03-18T16:57:37.964Z"))
    }

    @Test("single-element timestamp array is accepted")
    func timestampArray() throws {
        let event = try fixture.decode(#"{"@timestamp":["2019-03-18T16:57:37.964Z"]}"#)
        #expect(event.time == parseTimestamp("2019-03-18T16:57:37.964Z"))
    }

    @Test("timestamp field can be overridden")
    func timestampOverride() throws {
        let table = FieldTable()
        let decoder = EventDecoder(fields: table, timestampField: "event.ingested")
        let event = try decoder.decode(
            Array(#"{"@timestamp":"2019-03-18T16:57:37.964Z","event":{"ingested":"2019-03-18T16:58:00Z"}}"#.utf8))
        #expect(event.time == parseTimestamp("2019-03-18T16:58:00Z"))
    }
}
