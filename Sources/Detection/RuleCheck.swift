import EQL

/// What `eqlstream check` prints: a summary of each rule that compiles, and every error found.
public struct RuleCheckReport: Sendable {
    /// The summary lines for standard output: each rule's id and name, kind, window and fields.
    public var lines: [String] = []
    /// Every file, rule and query error, each with the file and, where known, the line and column.
    public var errors: [RuleLoadError] = []
}

/// Loads and compiles rules the way the service does, but reports every error instead of stopping at the first.
public enum RuleCheck {
    /// Checks each path (a rule file or a folder of them) on its own, as `rules.path` would be loaded.
    public static func run(paths: [String], defaultWindow: Duration) -> RuleCheckReport {
        var report = RuleCheckReport()
        for path in paths {
            check(path: path, defaultWindow: defaultWindow, into: &report)
        }
        return report
    }

    private static func check(path: String, defaultWindow: Duration, into report: inout RuleCheckReport) {
        let files: [String]
        do {
            files = try RuleLoader.ruleFiles(at: path)
        } catch {
            report.errors.append(loadError(error, file: path))
            return
        }
        var rules: [Rule] = []
        for file in files {
            do {
                rules.append(contentsOf: try RuleLoader.loadFile(file))
            } catch {
                report.errors.append(loadError(error, file: file))
            }
        }
        report.errors.append(contentsOf: RuleLoader.duplicateRuleIDErrors(rules))
        for rule in rules {
            do {
                let compiled = try CompiledRule(rule: rule, fields: FieldTable(), defaultWindow: defaultWindow)
                report.lines.append(contentsOf: summary(of: compiled))
            } catch {
                report.errors.append(loadError(error, file: rule.source))
            }
        }
    }

    /// Returns the lines that describe a compiled rule: id and name, kind and join keys, window, and fields.
    public static func summary(of compiled: CompiledRule) -> [String] {
        let kind = compiled.isSequence ? "sequence of \(compiled.stages.count) stages" : "event query"
        let keys = compiled.stages[0].keys.map(\.name).joined(separator: ", ")
        let windowSource = compiled.maxspan == nil ? " (lookback \(compiled.rule.from))" : " (maxspan)"
        var lines = [
            "\(compiled.rule.ruleID)  \(compiled.rule.name)" + (compiled.rule.isEnabled ? "" : "  (disabled: not run)"),
            "  kind: \(kind)" + (keys.isEmpty ? "" : ", joined by \(keys)"),
            "  window: \(compiled.window / 1_000_000_000)s" + windowSource,
            "  fields: \(compiled.fieldNames.joined(separator: ", "))",
        ]
        if compiled.rule.exceptionListCount > 0 {
            lines.append(
                "  warning: the rule references \(compiled.rule.exceptionListCount) exception list(s); exception lists are kept in Kibana and are not applied here")
        }
        return lines
    }

    private static func loadError(_ error: any Error, file: String) -> RuleLoadError {
        if let error = error as? RuleLoadError {
            return error
        }
        return RuleLoadError(file: file, "cannot read the rules: \(error)")
    }
}
