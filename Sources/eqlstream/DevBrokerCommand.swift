import Foundation
import Kafka
import Pipeline
import Telemetry

enum DevBrokerCommand {
    static let help = """
        Usage: eqlstream dev-broker [--brokers N] [--topic NAME:PARTITIONS]...

        Starts librdkafka's mock Kafka cluster in this process, listening on 127.0.0.1, and prints its bootstrap
        address as the first line of standard output. It runs until SIGTERM or SIGINT. For tests and trials only:
        the mock cluster keeps about 5 MiB per partition and drops older messages, and it holds a group rebalance
        open for the members' session timeout minus one second, so give consumers a short one
        (for eqlstream run: --set kafka.consumer.session.timeout.ms=6000).

        Options:
          --brokers N               Number of brokers, 1 to 16 (default: 3).
          --topic NAME:PARTITIONS   Create a topic with 1 to 10000 partitions; repeat for more (default: none;
                                    topics are otherwise created on first use).
          --help                    Print this help.

        Commands on standard input, one per line, each answered with 'ok' or 'error: ...' on standard output:
          broker-down ID            Disconnect broker ID (1..N).
          broker-up ID              Bring broker ID back.
          topic NAME:PARTITIONS     Create a topic.
          request-errors API_KEY ERROR_CODE COUNT
                                    Fail the next COUNT requests of that API (e.g. 8 = OffsetCommit).
        """

    static func main(_ arguments: ArraySlice<String>) throws -> Int32 {
        let options = try Arguments(arguments, valued: ["--brokers", "--topic"], flagNames: ["--help"])
        if options.has("--help") {
            printLine(help)
            return 0
        }
        let brokers = try options.integer("--brokers", default: 3, range: 1...16)
        let topics = try options.all("--topic").map(parseTopic)
        let logger = Logger(label: "dev-broker", level: .warning)
        let cluster: MockCluster
        do {
            cluster = try MockCluster(brokers: brokers, logger: logger)
            for (name, partitions) in topics { try cluster.createTopic(name, partitions: partitions) }
        } catch {
            printError("eqlstream dev-broker: \(error)")
            return ExitStatus.failure
        }
        printLine(cluster.bootstrapServers)
        let stop = StopSignal()
        Signals.stop(on: stop)
        let control = Thread { serveControl(cluster: cluster) }
        control.start()
        while !stop.isStopped {
            Thread.sleep(forTimeInterval: 0.1)
        }
        return 0
    }

    static func parseTopic(_ text: String) throws -> (String, Int) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, !parts[0].isEmpty, let count = Int(parts[1]), (1...10_000).contains(count) else {
            throw UsageError("--topic needs NAME:PARTITIONS with 1 to 10000 partitions, not '\(text)'")
        }
        return (String(parts[0]), count)
    }

    /// Reads control commands from standard input until it closes; the broker keeps running after that.
    private static func serveControl(cluster: MockCluster) {
        while let line = readLine() {
            let words = line.split(separator: " ").map(String.init)
            guard let verb = words.first else { continue }
            do {
                switch verb {
                case "broker-down" where words.count == 2:
                    guard let id = Int32(words[1]) else { throw UsageError("broker id must be a number") }
                    try cluster.setBrokerDown(id)
                case "broker-up" where words.count == 2:
                    guard let id = Int32(words[1]) else { throw UsageError("broker id must be a number") }
                    try cluster.setBrokerUp(id)
                case "topic" where words.count == 2:
                    let (name, partitions) = try parseTopic(words[1])
                    try cluster.createTopic(name, partitions: partitions)
                case "request-errors" where words.count == 4:
                    guard let api = Int16(words[1]), let code = Int32(words[2]), let count = Int(words[3]) else {
                        throw UsageError("request-errors needs API_KEY ERROR_CODE COUNT as numbers")
                    }
                    cluster.pushRequestErrors(apiKey: api, errorCode: code, count: count)
                default:
                    throw UsageError("unknown command '\(line)'; see eqlstream dev-broker --help")
                }
                printLine("ok")
            } catch {
                printLine("error: \(error)")
            }
        }
    }
}
