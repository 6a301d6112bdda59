import Detection
import EQL
import Foundation

/// Compiles each rule into one shared field table, as `eqlstream check` and `run` do, builds its `check` summary
/// and evaluates the compiled stages against probe events. Compile errors are expected results, while a trap or a
/// sanitizer report is a bug.
func compileAndProbe(_ rules: [Rule]) {
    let fields = FieldTable()
    for rule in rules {
        _ = rule.lookback
        _ = rule.intervalSpan
        let compiled: CompiledRule
        do {
            compiled = try CompiledRule(rule: rule, fields: fields, defaultWindow: .seconds(300))
        } catch {
            _ = String(describing: error)
            continue
        }
        _ = RuleCheck.summary(of: compiled)
        let stages = compiled.stages + (compiled.until.map { [$0] } ?? [])
        let categories = probeCategories(in: rule.query)
        probe(
            stages.map(\.filter), fields: fields, categories: categories,
            categoryField: rule.eventCategoryOverride ?? "event.category")
    }
}

/// Returns the categories of the event queries in `query`, which has already compiled.
private func probeCategories(in query: String) -> [String] {
    guard let parsed = try? EQLParser.parse(query) else {
        return []
    }
    switch parsed.body {
    case .event(let eventQuery):
        return eventQuery.category.map { [$0] } ?? []
    case .sequence(let sequence):
        let stages = sequence.stages + (sequence.until.map { [$0] } ?? [])
        return stages.compactMap(\.query.category)
    }
}
