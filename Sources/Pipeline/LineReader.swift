import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Buffers of ``LineChunks`` that batches hand back once decoded, so that reading a large file reuses a few
/// buffers instead of faulting in fresh memory for every chunk.
final class ChunkPool: @unchecked Sendable {
    let chunkSize: Int
    private let lock = NSLock()
    private var free: [UnsafeMutableRawBufferPointer] = []

    init(chunkSize: Int) {
        self.chunkSize = chunkSize
    }

    deinit {
        for buffer in free { buffer.deallocate() }
    }

    /// Returns a buffer of at least `minimumCount` bytes.
    func take(minimumCount: Int = 0) -> UnsafeMutableRawBufferPointer {
        lock.lock()
        if let index = free.lastIndex(where: { $0.count >= minimumCount }) {
            let buffer = free.remove(at: index)
            lock.unlock()
            return buffer
        }
        lock.unlock()
        return .allocate(byteCount: max(chunkSize, minimumCount), alignment: 64)
    }

    /// Takes back a buffer. Buffers beyond eight, or larger than a chunk, are freed.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        lock.lock()
        defer { lock.unlock() }
        if free.count < 8 && buffer.count == chunkSize {
            free.append(buffer)
        } else {
            buffer.deallocate()
        }
    }
}

/// Reads a file in large chunks and hands over each chunk with the lines that end in it, without copying lines.
///
/// A line cut by the end of a chunk moves to the start of the next one. A line longer than a chunk gets a larger
/// buffer of its own.
enum LineChunks {
    /// Calls `body` with each line's zero-based number and bytes (without the newline), reading `path` in chunks
    /// so that memory keeps one chunk at a time. A last line without a newline is passed too. The bytes are valid
    /// only during the call.
    static func forEachLine(in path: String, _ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        let pool = ChunkPool(chunkSize: 4 << 20)
        try forEachChunk(in: path, pool: pool) { buffer, lines in
            defer { pool.give(buffer) }
            let base = UnsafeRawBufferPointer(buffer)
            for line in lines {
                try body(line.number, UnsafeRawBufferPointer(rebasing: base[line.range]))
            }
        }
    }

    /// Calls `body` with each chunk and the chunk's whole lines (zero-based number and byte range, newline
    /// excluded). `body` takes ownership of the buffer and returns it to `pool` when done.
    static func forEachChunk(
        in path: String, pool: ChunkPool,
        _ body: (UnsafeMutableRawBufferPointer, [(number: Int64, range: Range<Int>)]) throws -> Void
    ) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot read \(path): \(String(cString: strerror(errno))); check the path")
        }
        defer { close(descriptor) }
        var buffer = pool.take()
        var filled = 0
        var lineNumber: Int64 = 0
        var atEnd = false
        while !atEnd {
            if filled == buffer.count {
                // One line fills the whole buffer: move it to a buffer twice the size.
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 64)
                larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                pool.give(buffer)
                buffer = larger
            }
            let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if count < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                pool.give(buffer)
                throw ConfigurationError("cannot read \(path): \(reason)")
            }
            atEnd = count == 0
            filled += count
            var lines: [(number: Int64, range: Range<Int>)] = []
            var start = 0
            while start < filled, let found = memchr(buffer.baseAddress! + start, 0x0A, filled - start) {
                let newline = buffer.baseAddress!.distance(to: found)
                lines.append((lineNumber, start..<newline))
                lineNumber += 1
                start = newline + 1
            }
            if atEnd && start < filled {
                // The last line has no newline.
                lines.append((lineNumber, start..<filled))
                lineNumber += 1
                start = filled
            }
            guard !lines.isEmpty || atEnd else { continue }
            let rest = filled - start
            let next = pool.take(minimumCount: rest + 1)
            if rest > 0 {
                next.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: rest)
            }
            if lines.isEmpty {
                pool.give(buffer)
            } else {
                do {
                    try body(buffer, lines)
                } catch {
                    pool.give(next)
                    throw error
                }
            }
            buffer = next
            filled = rest
        }
        pool.give(buffer)
    }
}
