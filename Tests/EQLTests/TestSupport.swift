import EQL
import Testing

/// An event backed by a dictionary from dotted field name to value, addressed through a ``FieldTable``.
struct DictionarySource: FieldSource {
    private let slotValues: [EQLValue?]

    init(_ values: [String: EQLValue], table: FieldTable) {
        slotValues = table.names.map { values[$0] }
    }

    func value(atSlot slot: Int) -> EQLValue? {
        slot < slotValues.count ? slotValues[slot] : nil
    }
}

/// Compiles an event query and reports whether it matches an event with `values`.
///
/// The category field is filled with `category` unless `values` sets `event.category` itself.
func evaluate(_ query: String, _ values: [String: EQLValue], category: String = "process") throws -> Bool {
    let parsed = try EQLParser.parse(query)
    guard case .event(let event) = parsed.body else {
        Issue.record("expected an event query: \(query)")
        return false
    }
    let table = FieldTable()
    let filter = try EQLCompiler.compileFilter(event, fields: table)
    var eventValues = values
    if eventValues["event.category"] == nil {
        eventValues["event.category"] = .string(category)
    }
    return filter.matches(DictionarySource(eventValues, table: table))
}

/// Returns the syntax error that parsing `query` throws, or `nil` when it parses.
func syntaxError(_ query: String) -> EQLSyntaxError? {
    do {
        _ = try EQLParser.parse(query)
        return nil
    } catch let error as EQLSyntaxError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

/// Returns the compile error that compiling the event query `query` throws, or `nil` when it compiles.
func compileError(_ query: String) throws -> EQLCompileError? {
    guard case .event(let event) = try EQLParser.parse(query).body else {
        Issue.record("expected an event query: \(query)")
        return nil
    }
    do {
        _ = try EQLCompiler.compileFilter(event, fields: FieldTable())
        return nil
    } catch let error as EQLCompileError {
        return error
    }
}
