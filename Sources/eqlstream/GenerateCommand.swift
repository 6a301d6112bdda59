import Events
import Foundation
import Pipeline

enum GenerateCommand {
    static let help = """
        Usage: eqlstream generate [--count N] [--seed N] [--plant-every N] [--rate N] [--start TIME]
                                  [--key-separator S] [--output FILE]

        Writes generated ECS endpoint events (process, network, DNS, file, registry) as NDJSON, with planted
        sequences for the signed-binary rule and near misses. The same seed and start time give the same events.

        Options:
          --count N         Number of events, 1 to 1000000000 (default: 10000).
          --seed N          Random seed, 0 or more (default: 42).
          --plant-every N   About one planted sequence per N events, 10 or more (default: 400).
          --rate N          Events per second of event time, 1 to 100000000 (default: 1000).
          --start TIME      Time of the first event, e.g. 2024-01-01T00:00:00Z (default: now).
          --key-separator S Write each event as its process.entity_id, S, then the JSON, for
                            `kcat -P -K S` to produce it keyed, e.g. --key-separator '|' (default: none).
          --output FILE     Write to FILE (default: standard output).
          --help            Print this help.

        When standard error is a terminal, a progress line (events/s and percent done) is shown there.
        """

    static func main(_ arguments: ArraySlice<String>) throws -> Int32 {
        let options = try Arguments(
            arguments, valued: ["--count", "--seed", "--plant-every", "--rate", "--output", "--start", "--key-separator"], flagNames: ["--help"])
        if options.has("--help") {
            printLine(help)
            return 0
        }
        let count = try options.integer("--count", default: 10_000, range: 1...1_000_000_000)
        let seed = try options.integer("--seed", default: 42, range: 0...Int.max)
        let plantEvery = try options.integer("--plant-every", default: 400, range: 10...1_000_000_000)
        let rate = try options.integer("--rate", default: 1_000, range: 1...100_000_000)
        let handle: FileHandle
        if let path = options.value("--output") {
            guard FileManager.default.createFile(atPath: path, contents: nil), let opened = FileHandle(forWritingAtPath: path) else {
                printError("eqlstream generate: cannot write \(path)")
                return ExitStatus.failure
            }
            handle = opened
        } else {
            handle = FileHandle.standardOutput
        }
        var traffic = SampleTraffic(seed: UInt64(seed), plantEvery: plantEvery)
        var start = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        if let text = options.value("--start") {
            guard let parsed = Timestamp.parse(Array(text.utf8)) else {
                throw UsageError("--start needs an ISO 8601 time such as 2024-01-01T00:00:00Z, not '\(text)'")
            }
            start = parsed
        }
        let step = 1_000_000_000 / Int64(rate)
        let separator = options.value("--key-separator")
        if let separator, separator.isEmpty || separator.contains("\n") {
            throw UsageError("--key-separator needs one or more characters other than a newline")
        }
        var buffer = ""
        let progress = ProgressDisplay(total: Int64(count))
        for index in 0..<count {
            if index % 4096 == 0 { progress.update(events: index, done: Int64(index)) }
            let event = traffic.next(at: start + Int64(index) * step)
            if let separator { buffer += event.key + separator }
            buffer += event.json
            buffer += "\n"
            if buffer.utf8.count > 1 << 20 {
                handle.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        handle.write(Data(buffer.utf8))
        progress.clear()
        printError("generated \(count) events with \(traffic.plantedSequences) planted sequences and \(traffic.nearMisses) near misses")
        return 0
    }
}
