import EQL
import Foundation

/// Reads detection rules from a file or from every rule file in a folder: Kibana rule JSON (one rule object, or an
/// export with one object per line, in `.json` and `.ndjson` files) and Elastic detection-rules TOML (`.toml`).
public enum RuleLoader {
    /// The file name extensions that a rules folder is searched for.
    public static let ruleFileExtensions = [".json", ".ndjson", ".toml"]

    /// Loads every rule under `path`, in file-name order.
    ///
    /// - Throws: ``RuleLoadError`` for a missing path, unreadable file, invalid JSON or TOML, a rule without the
    ///   fields the engine needs, or a rule_id defined twice. Nothing is loaded when any file fails, so a broken file
    ///   is never half-applied.
    public static func load(path: String) throws -> [Rule] {
        var rules: [Rule] = []
        for file in try ruleFiles(at: path) {
            rules.append(contentsOf: try loadFile(file))
        }
        if let error = duplicateRuleIDErrors(rules).first {
            throw error
        }
        return rules
    }

    /// Returns `path` itself when it is a file, or the rule files in the folder `path` in file-name order.
    ///
    /// - Throws: ``RuleLoadError`` when the path does not exist or the folder has no rule files.
    public static func ruleFiles(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            throw RuleLoadError(
                file: path,
                "no such file or folder (looked for \(absolute); relative paths start at the current directory); give a rule file or a folder of them")
        }
        guard isDirectory.boolValue else {
            return [path]
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        let files = names.filter { name in ruleFileExtensions.contains { name.hasSuffix($0) } }.map { path + "/" + $0 }
        guard !files.isEmpty else {
            throw RuleLoadError(file: path, "the folder has no .json, .ndjson or .toml rule files")
        }
        return files
    }

    /// Returns one error for each rule whose rule_id an earlier rule in `rules` already has.
    public static func duplicateRuleIDErrors(_ rules: [Rule]) -> [RuleLoadError] {
        var seen: [String: String] = [:]
        var errors: [RuleLoadError] = []
        for rule in rules {
            if let first = seen[rule.ruleID] {
                let message = "rule_id \(rule.ruleID) is already defined in \(first); each rule_id must be unique"
                errors.append(RuleLoadError(file: rule.source, message))
                continue
            }
            seen[rule.ruleID] = rule.source
        }
        return errors
    }

    /// Loads the rules in one file: TOML when the name ends in `.toml`, JSON otherwise.
    public static func loadFile(_ file: String) throws -> [Rule] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw RuleLoadError(file: file, "cannot read the file")
        }
        if file.hasSuffix(".toml") {
            return [try tomlRule(String(decoding: data, as: UTF8.self), source: file)]
        }
        return try jsonRules(data, source: file)
    }

    /// Builds the rules in the contents of a Kibana rule JSON file: one rule object, or an export with one rule
    /// object per line. `file` names the file in errors.
    static func jsonRules(_ data: Data, source file: String) throws -> [Rule] {
        let wholeError: (any Error)?
        do {
            let whole = try JSONValue.parse(data)
            if case .object = whole { return [try rule(from: whole, source: file, line: nil)] }
            wholeError = nil
        } catch {
            wholeError = error
        }
        // A Kibana export: one rule object per line, then a summary line without a query.
        var rules: [Rule] = []
        let text = String(decoding: data, as: UTF8.self)
        var isFirstLine = true
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(Data(trimmed.utf8))
            } catch {
                // A first line that is not a whole object means the file is one object over several lines, so
                // the error of the whole document is the one to show.
                if isFirstLine, let wholeError {
                    throw RuleLoadError.invalidJSON(wholeError, in: Array(data), file: file, firstLine: 1)
                }
                let indent = line.prefix { $0 == " " || $0 == "\t" }.utf8.count
                var lineError = RuleLoadError.invalidJSON(error, in: Array(trimmed.utf8), file: file, firstLine: index + 1)
                lineError.column = lineError.column.map { $0 + indent }
                throw lineError
            }
            isFirstLine = false
            if value["exported_count"] != nil || value["exportedCount"] != nil { continue }
            rules.append(try rule(from: value, source: file, line: index + 1))
        }
        return rules
    }

    /// Builds a rule from a Kibana rule object.
    public static func rule(from object: JSONValue, source: String, line: Int?) throws -> Rule {
        func fail(_ message: String) -> RuleLoadError {
            RuleLoadError(file: source, line: line, message)
        }
        guard case .object = object else { throw fail("expected a JSON object for the rule") }
        func string(_ key: String) throws -> String? {
            guard let value = object[key] else { return nil }
            guard let text = value.stringValue else { throw fail("\"\(key)\" must be a string") }
            return text
        }
        func strings(_ key: String) throws -> [String] {
            guard let value = object[key] else { return [] }
            guard let items = value.arrayValue else { throw fail("\"\(key)\" must be an array of strings") }
            return try items.map {
                guard let text = $0.stringValue else { throw fail("\"\(key)\" must be an array of strings") }
                return text
            }
        }
        guard let ruleID = try string("rule_id") else { throw fail("the rule has no \"rule_id\"") }
        guard let query = try string("query") else { throw fail("rule \(ruleID) has no \"query\"") }
        let type = try string("type") ?? "eql"
        guard type == "eql" else {
            throw fail("rule \(ruleID) has type \"\(type)\"; only EQL rules (\"type\": \"eql\") can run here")
        }
        let language = try string("language") ?? "eql"
        guard language == "eql" else {
            throw fail("rule \(ruleID) has language \"\(language)\"; only \"eql\" is supported")
        }
        let riskScore = object["risk_score"]?.integerValue ?? 21
        return Rule(
            ruleID: ruleID,
            id: try string("id"),
            name: try string("name") ?? ruleID,
            description: try string("description") ?? "",
            type: type,
            language: language,
            query: query,
            severity: try string("severity") ?? "low",
            riskScore: riskScore,
            version: object["version"]?.integerValue ?? 1,
            tags: try strings("tags"),
            references: try strings("references"),
            threat: object["threat"] ?? .array([]),
            from: try string("from") ?? "now-6m",
            interval: try string("interval") ?? "5m",
            timestampOverride: try string("timestamp_override"),
            tiebreakerField: try string("tiebreaker_field"),
            eventCategoryOverride: try string("event_category_override"),
            source: source,
            queryPlacement: .jsonString(line: line),
            isEnabled: object["enabled"] == .bool(false) ? false : true,
            exceptionListCount: object["exceptions_list"]?.arrayValue?.count ?? 0
        )
    }
}
