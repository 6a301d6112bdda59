import Foundation
import Testing

/// The command-line surface: help text and usage errors, checked on the built binary.
@Suite("Command line")
struct CommandLineTests {
    /// Every option each command accepts.
    static let options: [(command: String, options: [String])] = [
        ("run", ["--config", "--set", "--help"]),
        ("replay", ["--rules", "--sort", "--lateness", "--window", "--max-held-events", "--quiet", "--help"]),
        ("check", ["--help"]),
        ("generate", ["--count", "--seed", "--plant-every", "--rate", "--start", "--key-separator", "--output", "--help"]),
        ("dev-broker", ["--brokers", "--topic", "--help"]),
        ("help", ["--help"]),
    ]

    /// Splits the indented entries of a help text into one string per entry: an entry starts at a line indented by
    /// exactly two spaces and runs until the next such line or a blank line.
    static func entries(of help: String) -> [String] {
        var entries: [String] = []
        var current: String?
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  ") && !line.hasPrefix("   ") {
                if let current { entries.append(current) }
                current = String(line)
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty || !line.hasPrefix(" ") {
                if let current { entries.append(current) }
                current = nil
            } else {
                current? += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        if let current { entries.append(current) }
        return entries
    }

    @Test("help lists every option with a default", arguments: options.map(\.command))
    func helpListsOptions(command: String) throws {
        let result = try runCommand([command, "--help"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("Usage: eqlstream \(command)"), "\(result.output)")
        let expected = try #require(Self.options.first { $0.command == command }).options
        let optionEntries = Self.entries(of: result.output).filter { $0.hasPrefix("  --") }
        let listed = optionEntries.compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(listed.sorted() == expected.sorted(), "\(result.output)")
        for entry in optionEntries where !entry.hasPrefix("  --help") {
            #expect(entry.contains("default"), "option without its default: \(entry)")
        }
    }

    @Test("run help gives each key its default")
    func runHelpKeys() throws {
        let result = try runCommand(["run", "--help"])
        #expect(result.status == 0)
        let keys = Self.entries(of: result.output).filter { entry in
            entry.hasPrefix("  ") && !entry.hasPrefix("  --") && entry.split(separator: " ").first?.contains(".") == true
        }
        #expect(keys.count >= 18, "\(result.output)")
        for entry in keys {
            #expect(entry.contains("default"), "key without its default: \(entry)")
        }
        let interval = try #require(keys.first { $0.hasPrefix("  commit.interval") })
        #expect(interval.contains("10ms to 1h"))
    }

    @Test("help COMMAND prints that command's help")
    func helpCommand() throws {
        let result = try runCommand(["help", "replay"])
        #expect(result.status == 0)
        #expect(result.output.contains("Usage: eqlstream replay"))
        let overview = try runCommand(["help"])
        #expect(overview.status == 0)
        #expect(overview.output.contains("dev-broker"))
    }

    /// Arguments that are not valid, with what the message must name.
    static let usageErrors: [(arguments: [String], message: String, hint: String)] = [
        (["bogus"], "unknown command 'bogus'", "see 'eqlstream --help'"),
        (["rn"], "did you mean 'run'?", "see 'eqlstream --help'"),
        (["run", "--bogus"], "unknown option '--bogus'", "see 'eqlstream run --help'"),
        (["run", "--confg", "x"], "did you mean '--config'?", "see 'eqlstream run --help'"),
        (["run", "stray"], "unexpected argument 'stray'", "see 'eqlstream run --help'"),
        (["run", "--config"], "option --config needs a value", "see 'eqlstream run --help'"),
        (["run", "--config", "--set", "log.level=info"], "option --config needs a value", "see 'eqlstream run --help'"),
        (["run", "--help=yes"], "option --help takes no value", "see 'eqlstream run --help'"),
        (["replay", "--rulez", "x", "f"], "did you mean '--rules'?", "see 'eqlstream replay --help'"),
        (["replay", "--rules"], "option --rules needs a value", "see 'eqlstream replay --help'"),
        (["replay", "--sort=yes", "f"], "option --sort takes no value", "see 'eqlstream replay --help'"),
        (["replay"], "no input files", "see 'eqlstream replay --help'"),
        (["replay", "--lateness", "4 minutes", "f"], "--lateness needs a duration", "see 'eqlstream replay --help'"),
        (["check", "--bogus"], "unknown option '--bogus'", "see 'eqlstream check --help'"),
        (["check"], "no rule path given", "see 'eqlstream check --help'"),
        (["generate", "--count"], "option --count needs a value", "see 'eqlstream generate --help'"),
        (["generate", "--count", "0"], "whole number from 1 to 1000000000, not '0'", "see 'eqlstream generate --help'"),
        (["generate", "--frobnicate"], "unknown option '--frobnicate'", "see 'eqlstream generate --help'"),
        (["dev-broker", "--brokers"], "option --brokers needs a value", "see 'eqlstream dev-broker --help'"),
        (["dev-broker", "--topic", "x"], "--topic needs NAME:PARTITIONS", "see 'eqlstream dev-broker --help'"),
        (["dev-broker", "--topics", "x:1"], "did you mean '--topic'?", "see 'eqlstream dev-broker --help'"),
        (["help", "bogus"], "unknown command 'bogus'", "see 'eqlstream help --help'"),
        (["help", "--bogus"], "unknown option '--bogus'", "see 'eqlstream help --help'"),
    ]

    @Test("usage error exits 2 and names the fix", arguments: usageErrors.indices)
    func usageError(index: Int) throws {
        let (arguments, message, hint) = Self.usageErrors[index]
        let result = try runCommand(arguments)
        #expect(result.status == 2, "\(arguments): \(result.error)")
        #expect(result.error.contains(message), "\(arguments): \(result.error)")
        #expect(result.error.contains(hint), "\(arguments): \(result.error)")
        #expect(result.output.isEmpty, "\(arguments): \(result.output)")
    }

    @Test("version names eqlstream and librdkafka")
    func version() throws {
        let result = try runCommand(["--version"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.hasPrefix("eqlstream "), "\(result.output)")
        #expect(result.output.contains("(librdkafka 2."), "\(result.output)")
    }

    @Test("no command prints the overview and exits 2")
    func noCommand() throws {
        let result = try runCommand([])
        #expect(result.status == 2)
        #expect(result.error.contains("Usage: eqlstream <command>"))
    }
}
