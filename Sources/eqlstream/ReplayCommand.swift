import Detection
import EQL
import Foundation
import Pipeline

enum ReplayCommand {
    static let help = """
        Usage: eqlstream replay [--rules PATH] [--sort] [--lateness DURATION] [--window DURATION]
                                [--max-held-events N] [--quiet] FILE...

        Runs the rules over NDJSON files (one ECS event per line) as the service would run them over one partition,
        and prints one alert JSON per line on standard output. Counts and errors go to standard error.

        Options:
          --rules PATH          Rule file, or folder of Kibana rule JSON and detection-rules TOML files
                                (default: config/rules).
          --sort                Sort all events by @timestamp first. This gives Elasticsearch's answer for a
                                backtest (default: off, so events are matched in file order, like a live stream).
          --lateness DURATION   How late an event may be and still match, e.g. 4m (default: the rules' lookback
                                minus interval, 4m for a rule that looks back 9m every 5m).
          --window DURATION     Window for rules with neither maxspan nor lookback, e.g. 9m (default: 9m).
          --max-held-events N   Cap on events held for pending sequences across all rules, 1 or more; past it
                                the oldest keys are evicted and counted (default: 100000).
          --quiet               Print no per-line errors, only the summary (default: off).
          --help                Print this help.

        DURATION is a whole number with a unit: ms, s, m, h or d. When standard error is a terminal, a progress
        line (events/s and percent of the input read) is shown there.
        """

    static func main(_ arguments: ArraySlice<String>) throws -> Int32 {
        let options = try Arguments(
            arguments, valued: ["--rules", "--lateness", "--window", "--max-held-events"], flagNames: ["--sort", "--help", "--quiet"])
        if options.has("--help") {
            printLine(help)
            return 0
        }
        guard !options.positional.isEmpty else { throw UsageError("no input files; give one or more NDJSON files") }
        var configuration = Configuration()
        if let lateness = options.value("--lateness") {
            guard let span = TimeSpan.parse(lateness) else { throw UsageError("--lateness needs a duration such as 30s or 4m, not '\(lateness)'") }
            configuration.allowedLateness = span
        }
        if let window = options.value("--window") {
            guard let span = TimeSpan.parse(window) else { throw UsageError("--window needs a duration such as 9m, not '\(window)'") }
            configuration.defaultWindow = span
        }
        let rulesPath = options.value("--rules") ?? configuration.rulesPath
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSet(path: rulesPath, defaultWindow: configuration.defaultWindow)
        } catch {
            printError("eqlstream replay: \(error)")
            return ExitStatus.usage
        }
        let lateness = configuration.lateness(for: ruleSet.rules.map(\.rule))
        let maxHeld = try options.integer("--max-held-events", default: configuration.maxHeldEvents, range: 1...Int.max)
        var replay = Replay(
            ruleSet: ruleSet,
            settings: MatcherSettings(allowedLateness: lateness, maxHeldEvents: maxHeld, maxClockSkew: configuration.maxClockSkew))
        replay.sortByTime = options.has("--sort")
        let progress = ProgressDisplay(total: Replay.totalSize(of: options.positional))
        replay.onProgress = { lines, bytes in progress.update(events: lines, done: bytes) }
        var reported = 0
        let quiet = options.has("--quiet")
        let summary: Replay.Summary
        do {
            summary = try replay.run(files: options.positional, emit: { printLine($0.json) }) { line in
                reported += 1
                if !quiet && reported <= 20 {
                    progress.clear()
                    printError(line)
                }
            }
            progress.clear()
        } catch let error as ConfigurationError {
            progress.clear()
            printError("eqlstream replay: \(error)")
            return ExitStatus.usage
        } catch {
            progress.clear()
            printError("eqlstream replay: \(error)")
            return ExitStatus.failure
        }
        if !quiet && reported > 20 { printError("... \(reported - 20) more lines like these") }
        let counters = summary.counters
        printError(
            "replayed \(counters.consumed) events from \(options.positional.count) file(s) with \(ruleSet.rules.count) rule(s): \(counters.alertsProduced) alerts, \(counters.badMessages) bad, \(counters.lateEvents) late, \(summary.evictedEvents) evicted")
        return 0
    }
}
