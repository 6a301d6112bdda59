import Foundation
import Testing

@testable import Pipeline

/// The replay reader hands over whole lines from fixed-size chunks. Lines cut by a chunk's end and lines longer
/// than a chunk must come out whole, numbered as in the file.
@Suite("Line chunks")
struct LineChunksTests {
    /// Reads `text` through chunks of `chunkSize` bytes and returns each line with its number.
    func lines(of text: String, chunkSize: Int) throws -> [(Int64, String)] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqlstream-lines-\(UUID().uuidString)")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let pool = ChunkPool(chunkSize: chunkSize)
        var result: [(Int64, String)] = []
        try LineChunks.forEachChunk(in: url.path, pool: pool) { buffer, lines in
            for line in lines {
                result.append((line.number, String(decoding: UnsafeRawBufferPointer(rebasing: buffer[line.range]), as: UTF8.self)))
            }
            pool.give(buffer)
        }
        return result
    }

    @Test("lines across chunk ends come out whole", arguments: [1, 7, 16, 64, 4096])
    func chunkEnds(_ chunkSize: Int) throws {
        let expected = (0..<40).map { "line \($0) " + String(repeating: "x", count: $0 * 3) }
        let read = try lines(of: expected.joined(separator: "\n") + "\n", chunkSize: chunkSize)
        #expect(read.map(\.1) == expected)
        #expect(read.map(\.0) == (0..<40).map(Int64.init))
    }

    @Test("line by line reads every line")
    func lineByLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eqlstream-lines-\(UUID().uuidString)")
        try Data("a\n\nbb\nccc".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var read: [(Int64, String)] = []
        try LineChunks.forEachLine(in: url.path) { number, bytes in read.append((number, String(decoding: bytes, as: UTF8.self))) }
        #expect(read.map(\.0) == [0, 1, 2, 3])
        #expect(read.map(\.1) == ["a", "", "bb", "ccc"])
    }

    @Test("a last line without a newline is read")
    func lastLineWithoutNewline() throws {
        let read = try lines(of: "a\nbb\nccc", chunkSize: 4)
        #expect(read.map(\.1) == ["a", "bb", "ccc"])
    }

    @Test("empty lines keep their numbers")
    func emptyLines() throws {
        let read = try lines(of: "\n\na\n\nb\n", chunkSize: 3)
        #expect(read.map(\.0) == [0, 1, 2, 3, 4])
        #expect(read.map(\.1) == ["", "", "a", "", "b"])
    }

    @Test("an empty file has no lines")
    func emptyFile() throws {
        #expect(try lines(of: "", chunkSize: 8).isEmpty)
    }

    @Test("a missing file names its path")
    func missingFile() {
        let pool = ChunkPool(chunkSize: 8)
        #expect(throws: ConfigurationError.self) {
            try LineChunks.forEachChunk(in: "/nonexistent/eqlstream/events.ndjson", pool: pool) { buffer, _ in pool.give(buffer) }
        }
    }
}
