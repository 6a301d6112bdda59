import EQL
import Events
import Foundation
import Testing

@Suite("Decoding the sample corpus")
struct CorpusDecodeTests {
    /// Returns a decoder for every field the signed-binary rule reads, plus the category field its stages check.
    static func signedBinaryRuleFixture() throws -> DecoderFixture {
        let data = try Data(contentsOf: rulesFolder.appendingPathComponent("network-connection-via-signed-binary.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let query = try #require(object["query"] as? String)
        let fields = EQLCompiler.fieldNames(of: try EQLParser.parse(query)) + ["event.category"]
        return DecoderFixture(fields: fields)
    }

    /// Looks a dotted field up in a Foundation JSON object the way ECS allows: any prefix of the path may be
    /// written as one dotted key. Returns the values found, in document order.
    static func referenceValues(_ object: Any, path: ArraySlice<String>) -> [Any] {
        if path.isEmpty {
            return [object]
        }
        if let array = object as? [Any] {
            return array.flatMap { referenceValues($0, path: path) }
        }
        guard let dictionary = object as? [String: Any] else {
            return []
        }
        var found: [Any] = []
        for length in 1...path.count {
            let key = path.prefix(length).joined(separator: ".")
            if let child = dictionary[key] {
                found += referenceValues(child, path: path.dropFirst(length))
            }
        }
        return found
    }

    static func flattenedStrings(_ values: [Any]) -> [String] {
        values.flatMap { value -> [String] in
            if let array = value as? [Any] {
                return flattenedStrings(array)
            }
            if let text = value as? String {
                return [text]
            }
            return []
        }
    }

    static func decodedStrings(_ value: EQLValue?) -> [String] {
        switch value {
        case .string(let text)?:
            return [text]
        case .array(let items)?:
            return items.flatMap { decodedStrings($0) }
        default:
            return []
        }
    }

    @Test("every corpus line decodes", arguments: ["real_ecs_events.ndjson", "labelled_cases.ndjson"])
    func everyLineDecodes(file: String) throws {
        let fixture = try Self.signedBinaryRuleFixture()
        let lines = try corpusLines(file)
        var decodedCount = 0
        for line in lines {
            if let error = fixture.failure(line.bytes) {
                Issue.record("\(file):\(line.number): \(error)")
            } else {
                decodedCount += 1
            }
        }
        #expect(!lines.isEmpty)
        #expect(decodedCount == lines.count)
    }

    @Test("corpus line counts", arguments: [("real_ecs_events.ndjson", 286), ("labelled_cases.ndjson", 20)])
    func lineCounts(file: String, expected: Int) throws {
        #expect(try corpusLines(file).count == expected)
    }

    @Test("fields and times match Foundation", arguments: ["real_ecs_events.ndjson", "labelled_cases.ndjson"])
    func fieldsAgreeWithFoundation(file: String) throws {
        let fixture = try Self.signedBinaryRuleFixture()
        let stringFields = ["process.name", "process.entity_id", "event.type", "event.category", "destination.ip"]
        var comparedValues = 0
        for line in try corpusLines(file) {
            let event = try fixture.decoder.decode(line.bytes)
            let object = try JSONSerialization.jsonObject(with: Data(line.bytes))
            let timestamps = Self.flattenedStrings(Self.referenceValues(object, path: ["@timestamp"]))
            let timestamp = try #require(timestamps.first, "\(file):\(line.number) has no @timestamp string")
            #expect(event.time == parseTimestamp(timestamp), "\(file):\(line.number)")
            for field in stringFields {
                let path = ArraySlice(field.split(separator: ".").map(String.init))
                let expected = Self.flattenedStrings(Self.referenceValues(object, path: path))
                let decoded = Self.decodedStrings(try fixture.value(field, in: event))
                #expect(decoded == expected, "\(file):\(line.number) \(field)")
                comparedValues += expected.count
            }
        }
        #expect(comparedValues > 0)
    }
}
