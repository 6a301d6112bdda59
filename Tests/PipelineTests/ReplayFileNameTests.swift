import Detection
import Foundation
import Testing

@testable import Pipeline

@Suite("Replay file names")
struct ReplayFileNameTests {
    @Test("two files with one name are rejected")
    func sameNameRejected() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("eqlstream-names-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var files: [String] = []
        for folder in ["d1", "d2"] {
            let directory = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("events.ndjson")
            try Data(Fixtures.start("e-\(folder)", at: "2024-01-01T00:00:00Z").utf8).write(to: file)
            files.append(file.path)
        }
        let replay = Replay(ruleSet: try Fixtures.ruleSet(), settings: MatcherSettings(allowedLateness: .seconds(240)))
        var emitted = 0
        let error = #expect(throws: ConfigurationError.self) {
            _ = try replay.run(files: files, emit: { _ in emitted += 1 }, report: { _ in })
        }
        #expect(error?.message.contains("events.ndjson") == true)
        #expect(emitted == 0)
        // Distinct names replay.
        let renamed = root.appendingPathComponent("d2/other.ndjson").path
        try FileManager.default.moveItem(atPath: files[1], toPath: renamed)
        let summary = try replay.run(files: [files[0], renamed], emit: { _ in }, report: { _ in })
        #expect(summary.lines == 2)
    }
}
