import Detection
import Foundation
import Pipeline

enum CheckCommand {
    static let help = """
        Usage: eqlstream check PATH...

        Parses and compiles the rules in each PATH (a Kibana rule JSON file, a rule export, or a folder of them).
        Lists every rule with its kind, window and the fields it reads, or prints each error with file, line and
        column. Exits with status 2 when any rule has an error.
        """

    static func main(_ arguments: ArraySlice<String>) throws -> Int32 {
        let options = try Arguments(arguments, valued: [], flagNames: ["--help"])
        if options.has("--help") {
            printLine(help)
            return 0
        }
        guard !options.positional.isEmpty else { throw UsageError("no rule path given") }
        var failed = false
        for path in options.positional {
            do {
                let ruleSet = try RuleSet(path: path, defaultWindow: Configuration().defaultWindow)
                for compiled in ruleSet.rules {
                    let kind = compiled.isSequence ? "sequence of \(compiled.stages.count) stages" : "event query"
                    let keys = compiled.stages[0].keys.map(\.name).joined(separator: ", ")
                    printLine("\(compiled.rule.ruleID)  \(compiled.rule.name)")
                    printLine("  kind: \(kind)" + (keys.isEmpty ? "" : ", joined by \(keys)"))
                    printLine("  window: \(compiled.window / 1_000_000_000)s" + (compiled.maxspan == nil ? " (lookback \(compiled.rule.from))" : " (maxspan)"))
                    printLine("  fields: \(compiled.fieldNames.joined(separator: ", "))")
                }
            } catch {
                printError("\(error)")
                failed = true
            }
        }
        return failed ? ExitStatus.usage : 0
    }
}
