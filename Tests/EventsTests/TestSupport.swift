import EQL
import Events
import Foundation
import Testing

/// A decoder built for a fixed list of fields, with the table that maps each field to its slot.
struct DecoderFixture {
    let table: FieldTable
    let decoder: EventDecoder

    init(fields: [String], maxMessageBytes: Int = 1_048_576) {
        table = FieldTable()
        for field in fields {
            table.slot(for: field)
        }
        decoder = EventDecoder(fields: table, maxMessageBytes: maxMessageBytes)
    }

    func decode(_ json: String) throws -> DecodedEvent {
        try decoder.decode(Array(json.utf8))
    }

    /// Returns the value the decoder stored for `field`, or `nil` when the event lacks it.
    func value(_ field: String, in event: DecodedEvent) throws -> EQLValue? {
        let slot = try #require(table.lookup(field), "\(field) is not registered in the field table")
        return event.value(atSlot: slot)
    }

    /// Decodes `json` and returns the value of `field`.
    func value(_ field: String, decoding json: String) throws -> EQLValue? {
        try value(field, in: decode(json))
    }

    /// Returns the error that decoding `bytes` throws, or `nil` when the message decodes.
    func failure(_ bytes: [UInt8]) -> DecodeError? {
        do {
            _ = try decoder.decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    func failure(_ json: String) -> DecodeError? {
        failure(Array(json.utf8))
    }
}

/// Parses a timestamp given as text.
func parseTimestamp(_ text: String) -> EventTime? {
    Timestamp.parse(Array(text.utf8))
}

/// The folder of sample data: the event corpus, Elastic's rule files and the reference EQL engine. It is
/// `SAMPLE_DATA_DIR` when set (scripts/test sets it), else the folder named `shared` beside the package root.
let sampleDataFolder: URL = ProcessInfo.processInfo.environment["SAMPLE_DATA_DIR"].map { URL(fileURLWithPath: $0) }
    ?? URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // EventsTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // package root
    .appendingPathComponent("../shared")
    .standardizedFileURL

/// The folder of sample events.
let corpusFolder: URL = sampleDataFolder.appendingPathComponent("corpus")

/// The folder of Elastic's rule files.
let rulesFolder: URL = sampleDataFolder.appendingPathComponent("rules")

/// Returns the non-empty lines of an NDJSON file in the corpus folder, as bytes, with their 1-based line numbers.
func corpusLines(_ name: String) throws -> [(number: Int, bytes: [UInt8])] {
    let data = try Data(contentsOf: corpusFolder.appendingPathComponent(name))
    let lines = Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    var result: [(number: Int, bytes: [UInt8])] = []
    for (index, line) in lines.enumerated() where !line.isEmpty {
        result.append((index + 1, Array(line)))
    }
    return result
}
