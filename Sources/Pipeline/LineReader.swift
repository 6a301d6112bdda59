import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file line by line in large chunks, without holding the whole file in memory.
enum LineReader {
    static let chunkSize = 4 << 20

    /// Calls `body` with each line's zero-based number and bytes (without the newline). A last line without a
    /// newline is passed too. The bytes are valid only during the call.
    static func forEachLine(in path: String, _ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigurationError("cannot read \(path); check the path")
        }
        defer { try? handle.close() }
        var carry: [UInt8] = []
        var lineNumber: Int64 = 0
        while true {
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
                var start = 0
                while start < buffer.count,
                      let found = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start)
                {
                    let newline = buffer.baseAddress!.distance(to: UnsafeRawPointer(found))
                    if carry.isEmpty {
                        try body(lineNumber, UnsafeRawBufferPointer(rebasing: buffer[start..<newline]))
                    } else {
                        carry.append(contentsOf: buffer[start..<newline])
                        try carry.withUnsafeBytes { try body(lineNumber, $0) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    lineNumber += 1
                    start = newline + 1
                }
                carry.append(contentsOf: buffer[start...])
            }
        }
        if !carry.isEmpty {
            try carry.withUnsafeBytes { try body(lineNumber, $0) }
        }
    }
}
