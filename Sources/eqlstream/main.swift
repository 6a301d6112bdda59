import Foundation

/// Exit statuses: 0 success, 1 a runtime failure, 2 a usage, configuration or rule error.
enum ExitStatus {
    static let failure: Int32 = 1
    static let usage: Int32 = 2
}

let usage = """
    eqlstream: runs Elastic EQL detection rules over ECS events in Kafka and produces alerts.

    Usage: eqlstream <command> [options]

    Commands:
      run          Run the service (consume events, detect sequences, produce alerts).
                   With no kafka.bootstrap.servers configured it starts an embedded broker with sample traffic.
      replay       Run the rules over NDJSON files and print one alert JSON per line.
      check        Parse and validate rules; list each rule's fields and window.
      generate     Write generated ECS endpoint traffic with planted sequences as NDJSON.
      dev-broker   Start librdkafka's mock Kafka cluster on 127.0.0.1 and print its bootstrap address.

    Run 'eqlstream <command> --help' for the options of a command.
    """

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    printError(usage)
    exit(ExitStatus.usage)
}
let command = arguments[1]
let rest = arguments.dropFirst(2)
do {
    switch command {
    case "run": exit(try RunCommand.main(rest))
    case "replay": exit(try ReplayCommand.main(rest))
    case "check": exit(try CheckCommand.main(rest))
    case "generate": exit(try GenerateCommand.main(rest))
    case "dev-broker": exit(try DevBrokerCommand.main(rest))
    case "help", "--help", "-h":
        printLine(usage)
        exit(0)
    default:
        printError("eqlstream: unknown command '\(command)'. Commands: run, replay, check, generate, dev-broker.")
        exit(ExitStatus.usage)
    }
} catch let error as UsageError {
    printError("eqlstream \(command): \(error.message)")
    printError("Run 'eqlstream \(command) --help' for usage.")
    exit(ExitStatus.usage)
}
