import Foundation
import Testing

/// The C library's pseudo-terminal functions, which Swift's Glibc module does not export.
enum PseudoTerminal {
    typealias Open = @convention(c) (Int32) -> Int32
    typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?

    static func function<T>(_ name: String, as type: T.Type) throws -> T {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            throw HarnessError("the C library has no \(name)")
        }
        return unsafeBitCast(symbol, to: type)
    }

    /// Opens a new pseudo-terminal and returns its controlling side and the path of its terminal device.
    static func open() throws -> (master: Int32, device: String) {
        let master = try function("posix_openpt", as: Open.self)(O_RDWR | O_NOCTTY)
        guard master >= 0, try function("grantpt", as: Open.self)(master) == 0,
              try function("unlockpt", as: Open.self)(master) == 0,
              let name = try function("ptsname", as: Name.self)(master)
        else {
            throw HarnessError("cannot open a pseudo-terminal")
        }
        return (master, String(cString: name))
    }
}

/// Runs `eqlstream` with standard error on a new pseudo-terminal and returns what it wrote there.
func runOnTerminal(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> (status: Int32, error: String) {
    let (master, name) = try PseudoTerminal.open()
    let terminal = open(name, O_RDWR | O_NOCTTY)
    guard terminal >= 0 else { throw HarnessError("cannot open the pseudo-terminal's device") }
    defer { close(master) }
    let process = Process()
    process.executableURL = Paths.binary
    process.arguments = arguments
    process.environment = childEnvironment()
    process.currentDirectoryURL = Paths.packageRoot
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle(fileDescriptor: terminal, closeOnDealloc: true)
    try process.run()
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = ContinuousClock.now + timeout
    // Read while the child runs, so a full terminal buffer never blocks it.
    while ContinuousClock.now < deadline {
        var pollSet = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        if poll(&pollSet, 1, 50) > 0 {
            let count = read(master, &buffer, buffer.count)
            if count > 0 { bytes += buffer[0..<count] }
            if count <= 0 && !process.isRunning { break }
        } else if !process.isRunning {
            break
        }
    }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        throw HarnessError("eqlstream \(arguments.joined(separator: " ")) still running after \(timeout)")
    }
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: bytes, as: UTF8.self))
}

@Suite("Progress output")
struct ProgressOutputTests {
    /// Writes generated events to a file in `folder` and returns its path.
    func generate(into folder: ScratchFolder, count: Int) throws -> String {
        let path = folder.path("events.ndjson")
        let result = try runCommand(["generate", "--count", String(count), "--output", path])
        #expect(result.status == 0, "\(result.error)")
        return path
    }

    @Test("piped standard error gets no progress")
    func pipedIsQuiet() throws {
        let folder = try ScratchFolder()
        let generated = try runCommand(["generate", "--count", "10000", "--output", folder.path("events.ndjson")])
        #expect(generated.status == 0)
        #expect(generated.error.hasPrefix("generated 10000 events"), "\(generated.error)")
        #expect(generated.error.split(separator: "\n").count == 1, "\(generated.error)")
        #expect(!generated.error.contains("events/s"))
        #expect(!generated.error.contains("\r"))

        let replayed = try runCommand(["replay", "--rules", "config/rules", folder.path("events.ndjson")])
        #expect(replayed.status == 0)
        #expect(replayed.error.hasPrefix("replayed 10000 events"), "\(replayed.error)")
        #expect(replayed.error.split(separator: "\n").count == 1, "\(replayed.error)")
        #expect(!replayed.error.contains("events/s"))
        #expect(!replayed.error.contains("\u{1B}"))
    }

    @Test("terminal gets progress, cleared at the end", arguments: ["generate", "replay"])
    func terminalShowsProgress(command: String) throws {
        let folder = try ScratchFolder()
        let events = try generate(into: folder, count: 10000)
        let arguments = command == "generate"
            ? ["generate", "--count", "10000", "--output", folder.path("more.ndjson")]
            : ["replay", "--rules", "config/rules", events]
        let result = try runOnTerminal(arguments)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.contains("events/s"), "\(result.error.debugDescription)")
        #expect(result.error.contains("%"), "\(result.error.debugDescription)")
        // The last progress line is erased before the summary.
        let summary = command == "generate" ? "generated 10000 events" : "replayed 10000 events"
        #expect(result.error.contains(TerminalControl.clearLine + summary), "\(result.error.debugDescription)")
    }
}

/// The terminal sequence the progress display ends with: carriage return, then ANSI "erase in line".
enum TerminalControl {
    static let clearLine = "\r\u{1B}[K"
}
