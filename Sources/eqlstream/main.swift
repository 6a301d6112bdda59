import Foundation
import Kafka
import Pipeline

/// The release of eqlstream this build is.
let eqlstreamVersion = "0.1.0"

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
      help         Print this list, or with a command name that command's help.

    Run 'eqlstream <command> --help' for the options of a command, and 'eqlstream --version' for the versions of
    eqlstream and librdkafka.
    """

/// The help text of each command, for `eqlstream help COMMAND`.
let commandHelp: [String: String] = [
    "run": RunCommand.help, "replay": ReplayCommand.help, "check": CheckCommand.help,
    "generate": GenerateCommand.help, "dev-broker": DevBrokerCommand.help, "help": helpHelp,
]

let helpHelp = """
    Usage: eqlstream help [COMMAND]

    Prints the list of commands, or the help of COMMAND (the same as 'eqlstream COMMAND --help').

    Options:
      --help   Print this help.
    """

/// Prints the overview, or the help of the one command name given.
func helpMain(_ arguments: ArraySlice<String>) throws -> Int32 {
    let options = try Arguments(arguments, valued: [], flagNames: ["--help"])
    if options.has("--help") {
        printLine(helpHelp)
        return 0
    }
    guard options.positional.count <= 1 else {
        throw UsageError("unexpected argument '\(options.positional[1])'; give one command name")
    }
    guard let name = options.positional.first else {
        printLine(usage)
        return 0
    }
    guard let text = commandHelp[name] else {
        throw UsageError("unknown command '\(name)'\(suggestion(for: name))")
    }
    printLine(text)
    return 0
}

/// Returns " (did you mean 'NAME'?)" for the command closest to `name`, or an empty string when none is close.
func suggestion(for name: String) -> String {
    let distance = Configuration.editDistance
    guard let close = commandHelp.keys.min(by: { distance($0, name) < distance($1, name) }),
          distance(close, name) <= 2
    else { return "" }
    return " (did you mean '\(close)'?)"
}

MemoryTuning.apply()
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
    case "help": exit(try helpMain(rest))
    case "--help", "-h":
        printLine(usage)
        exit(0)
    case "--version":
        printLine("eqlstream \(eqlstreamVersion) (librdkafka \(librdkafkaVersion))")
        exit(0)
    default:
        printError("eqlstream: unknown command '\(command)'\(suggestion(for: command)); see 'eqlstream --help'")
        exit(ExitStatus.usage)
    }
} catch let error as UsageError {
    printError("eqlstream \(command): \(error.message); see 'eqlstream \(command) --help'")
    exit(ExitStatus.usage)
}
