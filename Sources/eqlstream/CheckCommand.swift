import Detection
import Foundation
import Pipeline

enum CheckCommand {
    static let help = """
        Usage: eqlstream check PATH...

        Parses and compiles the rules in each PATH: a Kibana rule JSON file, a rule export, a detection-rules TOML
        file, or a folder of them. Lists every rule that compiles with its kind, window and the fields it reads, and
        prints every error with its file, line and column. For a JSON rule the query is one JSON string, so an error
        in it gives the line and column inside the query. Exits with status 2 when any rule has an error.

        Options:
          --help   Print this help.
        """

    static func main(_ arguments: ArraySlice<String>) throws -> Int32 {
        let options = try Arguments(arguments, valued: [], flagNames: ["--help"])
        if options.has("--help") {
            printLine(help)
            return 0
        }
        guard !options.positional.isEmpty else { throw UsageError("no rule path given") }
        let report = RuleCheck.run(paths: options.positional, defaultWindow: Configuration().defaultWindow)
        for line in report.lines {
            printLine(line)
        }
        for error in report.errors {
            printError("\(error)")
        }
        return report.errors.isEmpty ? 0 : ExitStatus.usage
    }
}
