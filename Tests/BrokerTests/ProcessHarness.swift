import Foundation
import Kafka
import Telemetry

/// Paths of the package, the built binary and the test corpus.
enum Paths {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// The sample data folder: `SAMPLE_DATA_DIR` when set (scripts/test sets it), else `shared` beside the package.
    static let sampleData = ProcessInfo.processInfo.environment["SAMPLE_DATA_DIR"].map { URL(fileURLWithPath: $0) }
        ?? packageRoot.appendingPathComponent("../shared").standardizedFileURL
    static let corpus = sampleData.appendingPathComponent("corpus")
    static let rules = packageRoot.appendingPathComponent("config/rules")

    /// The `eqlstream` executable built next to the test bundle.
    static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["EQLSTREAM_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            packageRoot.appendingPathComponent(".build/debug"),
        ].compactMap { $0 }
        for directory in candidates {
            let url = directory.appendingPathComponent("eqlstream")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return packageRoot.appendingPathComponent(".build/debug/eqlstream")
    }
}

/// A child process whose standard error goes to a log file, killed when the harness is released.
final class ChildProcess {
    let process = Process()
    let logFile: URL
    private let output = Pipe()

    init(arguments: [String], name: String, environment: [String: String] = [:]) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("eqlstream-test-\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = Paths.binary
        process.arguments = arguments
        process.environment = childEnvironment(adding: environment)
        process.currentDirectoryURL = Paths.packageRoot
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = Pipe()
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Reads one line from the child's standard output, waiting up to `timeout`.
    func readLine(timeout: Duration) throws -> String {
        let handle = output.fileHandleForReading
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var pollSet = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pollSet, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(handle.fileDescriptor, &byte, 1) == 1 else { break }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        throw HarnessError("no line from \(process.arguments?.first ?? "child") within \(timeout); log: \(log())")
    }

    /// Returns the standard output not read yet. Call it after the child exited, because it reads to the end.
    func remainingOutput() -> String {
        String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit and returns its status, or throws after `timeout`.
    func waitForExit(timeout: Duration) throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw HarnessError("process still running after \(timeout)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return process.terminationStatus
    }

    func log() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }
}

/// Returns the test runner's environment plus `extra`, without `EQLSTREAM_*` variables, which `run` would read
/// as configuration (EQLSTREAM_BINARY among them).
func childEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
    ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("EQLSTREAM_") }.merging(extra) { _, new in new }
}

/// The outcome of a command run to its end.
struct CommandResult {
    var status: Int32
    var output: String
    var error: String
}

/// Runs `eqlstream` with `arguments` to its end, with standard output and standard error captured in files, and
/// kills it after `timeout`.
func runCommand(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(30)) throws
    -> CommandResult
{
    let directory = FileManager.default.temporaryDirectory
    let outputFile = directory.appendingPathComponent("eqlstream-out-\(UUID().uuidString)")
    let errorFile = directory.appendingPathComponent("eqlstream-err-\(UUID().uuidString)")
    defer {
        try? FileManager.default.removeItem(at: outputFile)
        try? FileManager.default.removeItem(at: errorFile)
    }
    _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    let process = Process()
    process.executableURL = Paths.binary
    process.arguments = arguments
    process.environment = childEnvironment(adding: environment)
    process.currentDirectoryURL = Paths.packageRoot
    process.standardOutput = try FileHandle(forWritingTo: outputFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        if ContinuousClock.now >= deadline {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw HarnessError("eqlstream \(arguments.joined(separator: " ")) still running after \(timeout)")
        }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return CommandResult(
        status: process.terminationStatus,
        output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
        error: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "")
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `eqlstream dev-broker` in its own process.
final class DevBroker {
    let child: ChildProcess
    let bootstrap: String

    init(brokers: Int = 3, topics: [String: Int]) throws {
        var arguments = ["dev-broker", "--brokers", String(brokers)]
        for (name, partitions) in topics.sorted(by: { $0.key < $1.key }) {
            arguments += ["--topic", "\(name):\(partitions)"]
        }
        child = try ChildProcess(arguments: arguments, name: "broker")
        bootstrap = try child.readLine(timeout: .seconds(20))
        guard bootstrap.hasPrefix("127.0.0.1:") else {
            throw HarnessError("dev-broker printed '\(bootstrap)' instead of a 127.0.0.1 bootstrap address")
        }
    }
}

/// Rebalance callbacks for test clients: positions come from the group's commits or the beginning.
final class PlainGroupMember: KafkaRebalanceHandler {
    func partitionsAssigned(_ partitions: [TopicPartition], committed: [TopicPartition: CommittedOffset]) -> [TopicPartition: Int64] { [:] }
    func partitionsRevoked(_ partitions: [TopicPartition], isLost: Bool) {}
    func consumerError(_ error: KafkaError, partition: TopicPartition?) {}
}

let quietLogger = Logger(label: "broker-tests", level: .error)
