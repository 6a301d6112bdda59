import Detection
import Synchronization

/// A request to reload the rules, set from a signal handler's queue and taken by the processor's thread.
public final class ReloadRequest: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func request() { flag.store(true, ordering: .releasing) }

    /// Returns whether a reload was requested since the last call, and clears the request.
    public func take() -> Bool { flag.exchange(false, ordering: .acquiringAndReleasing) }
}

extension StreamProcessor {
    /// Loads `rules.path` again and, when every rule loads, switches every lane to the new rules.
    ///
    /// Runs on the processor's thread between two polls, so no message is half-handled. A rule whose id, query,
    /// window and ordering fields are unchanged keeps its pending sequences. The state of changed and removed rules
    /// is dropped. When any rule fails, the running rules stay and the error is logged and counted.
    func reloadRules() {
        guard let next = loadRulesForReload() else { return }
        let kept = Self.unchangedRules(from: ruleSet.rules, to: next.rules)
        let nextSettings = MatcherSettings(
            allowedLateness: configuration.lateness(for: next.rules.map(\.rule)),
            maxHeldEvents: configuration.maxHeldEvents, maxClockSkew: configuration.maxClockSkew)
        for lane in lanes.values {
            lane.replaceRules(next.rules, decoder: next.decoder, settings: nextSettings, kept: kept)
        }
        let previous = ruleSet
        ruleSet = next
        settings = nextSettings
        counters.ruleReloads += 1
        logReload(from: previous, to: next, kept: kept)
    }

    /// Returns the rules under `rules.path` compiled over the current field slots, or `nil` after logging and
    /// counting the first error.
    private func loadRulesForReload() -> RuleSet? {
        do {
            let rules = try RuleLoader.load(path: configuration.rulesPath)
            return try RuleSet(
                rules: rules, defaultWindow: configuration.defaultWindow, maxMessageBytes: configuration.maxMessageBytes,
                previous: ruleSet)
        } catch {
            counters.ruleReloadFailures += 1
            let location = error as? RuleLoadError
            logger.error(
                "rules reload failed; the previous rules keep running",
                ["path": configuration.rulesPath, "file": location?.file ?? "-",
                 "line": location?.line.map(String.init) ?? "-", "column": location?.column.map(String.init) ?? "-",
                 "query_line": location?.queryPosition.map { String($0.line) } ?? "-",
                 "query_column": location?.queryPosition.map { String($0.column) } ?? "-",
                 "error": "\(error)"])
            return nil
        }
    }

    private func logReload(from previous: RuleSet, to next: RuleSet, kept: [Int: Int]) {
        let oldIDs = Set(previous.rules.map(\.rule.ruleID))
        let newIDs = Set(next.rules.map(\.rule.ruleID))
        let keptIDs = Set(kept.keys.map { next.rules[$0].rule.ruleID })
        logger.info(
            "rules reloaded",
            ["path": configuration.rulesPath, "rules": next.rules.count,
             "added": newIDs.subtracting(oldIDs).sorted().joined(separator: ","),
             "removed": oldIDs.subtracting(newIDs).sorted().joined(separator: ","),
             "changed": newIDs.intersection(oldIDs).subtracting(keptIDs).sorted().joined(separator: ","),
             "unchanged": keptIDs.count, "disabled": next.disabled.count,
             "lateness_seconds": settings.allowedLateness / 1_000_000_000])
        for compiled in next.rules where compiled.rule.exceptionListCount > 0 && !oldIDs.contains(compiled.rule.ruleID) {
            logger.warning(
                "rule references exception lists, which are kept in Kibana and are not applied",
                ["rule_id": compiled.rule.ruleID, "lists": compiled.rule.exceptionListCount])
        }
    }

    /// Maps the index of each rule in `new` that matches exactly as a rule in `old` did to that rule's index.
    static func unchangedRules(from old: [CompiledRule], to new: [CompiledRule]) -> [Int: Int] {
        var kept: [Int: Int] = [:]
        for (newIndex, rule) in new.enumerated() {
            let match = old.firstIndex { previous in
                previous.rule.ruleID == rule.rule.ruleID && previous.rule.query == rule.rule.query
                    && previous.window == rule.window && previous.timestampSlot == rule.timestampSlot
                    && previous.tiebreakerSlot == rule.tiebreakerSlot && previous.stages.count == rule.stages.count
            }
            if let match { kept[newIndex] = match }
        }
        return kept
    }
}
