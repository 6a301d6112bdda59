import EQL

/// libFuzzer entry point: parses the input as EQL query text, compiles every event query in it, and evaluates the
/// compiled filters against probe events. Syntax and compile errors are expected results, while a trap or a
/// sanitizer report is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEQLQuery(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let query = try? EQLParser.parse(text) else {
        return 0
    }
    _ = EQLCompiler.fieldNames(of: query)
    let eventQueries: [EventQuery]
    switch query.body {
    case .event(let eventQuery):
        eventQueries = [eventQuery]
    case .sequence(let sequence):
        eventQueries = sequence.stages.map(\.query) + (sequence.until.map { [$0.query] } ?? [])
    }
    let fields = FieldTable()
    var filters: [CompiledFilter] = []
    for eventQuery in eventQueries {
        guard let filter = try? EQLCompiler.compileFilter(eventQuery, fields: fields) else {
            return 0
        }
        filters.append(filter)
    }
    probe(filters, fields: fields, categories: eventQueries.compactMap(\.category), categoryField: "event.category")
    return 0
}
