import Foundation
import Testing

/// Compares `eqlstream replay --sort` with the reference EQL engine in Elasticsearch mode.
///
/// The harness in scripts/difftest generates two streams of 10,000 events (many keys, equal timestamps, arrays,
/// missing fields, mixed case, odd IP text), runs every query through both engines, and prints one JSON line per
/// query and stream. Where the reference engine cannot decide a case, the harness states the Elasticsearch rule
/// and checks the engine against that rule instead.
@Suite("Differential against the reference engine")
struct ReferenceEngineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The sample data folder with the reference engine: `SAMPLE_DATA_DIR` when set (scripts/test sets it), else
    /// `shared` beside the package.
    static let sampleData = ProcessInfo.processInfo.environment["SAMPLE_DATA_DIR"].map { URL(fileURLWithPath: $0) }
        ?? root.appendingPathComponent("../shared").standardizedFileURL

    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("eqlstream")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return root.appendingPathComponent(".build/debug/eqlstream")
    }

    @Test("every query agrees on generated streams")
    func everyQueryAgrees() throws {
        let python = Self.root.appendingPathComponent(".venv-ref/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path),
                     "the reference engine's Python environment is missing; run scripts/setup")
        let process = Process()
        process.executableURL = python
        process.arguments = [
            Self.root.appendingPathComponent("scripts/difftest/eql_diff.py").path,
            "--binary", Self.binary.path,
            "--reference", Self.sampleData.appendingPathComponent("tools/eql_reference.py").path,
            "--python", python.path, "--events", "10000", "--streams", "2",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        var reports: [[String: Any]] = []
        for line in lines where line.hasPrefix("{") {
            reports.append(try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]))
        }
        let queries = Set(reports.compactMap { $0["query"] as? String })
        #expect(queries.count >= 50)
        #expect(Set(reports.compactMap { $0["stream"] as? Int }).count == 2)
        for report in reports {
            #expect(report["agree"] as? Bool == true, "\(report)")
        }
        // Queries that matched nothing anywhere would agree vacuously; most must match something.
        let matching = Set(reports.filter { ($0["engine"] as? Int ?? 0) > 0 }.compactMap { $0["query"] as? String })
        #expect(matching.count >= queries.count - 2, "queries without a match: \(queries.subtracting(matching).sorted())")
        #expect(process.terminationStatus == 0)
    }
}
