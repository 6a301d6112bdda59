import EQL

/// Field values of every JSON type, with the edge cases that arithmetic, string functions, CIDR matching and
/// comparisons handle specially. `nil` stands for a missing field.
let probeValues: [EQLValue?] = [
    nil,
    .null,
    .bool(true),
    .integer(0),
    .integer(-1),
    .integer(Int64.min),
    .integer(Int64.max),
    .double(-0.0),
    .double(.nan),
    .double(.infinity),
    .double(1e308),
    .string(""),
    .string("Expand.EXE"),
    .string("10.1.2.3"),
    .string("fe80::1"),
    .string("::ffff:192.168.0.1"),
    .string("C:\\Windows\\System32\\makecab.exe"),
    .string("\u{1F600}e\u{301}\0*?"),
    .array([]),
    .array([.string("start"), .integer(7), .null, .array([.string("nested")])]),
]

/// An event whose fields hold values from ``probeValues``, shifted by `offset` so that each field gets each value
/// across the events of one probe. The category field contains every category of the query under test, so that
/// the category check passes and the condition is evaluated.
struct ProbeEvent: FieldSource {
    let offset: Int
    let categorySlot: Int?
    let categories: EQLValue

    func value(atSlot slot: Int) -> EQLValue? {
        if slot == categorySlot {
            return categories
        }
        return probeValues[(slot + offset) % probeValues.count]
    }
}

/// Evaluates each filter against one probe event per probe value. The results are not checked: the probe exists to
/// reach traps, such as overflow or an index out of range, in the compiled predicates.
func probe(_ filters: [CompiledFilter], fields: FieldTable, categories: [String], categoryField: String) {
    let categoryValue = EQLValue.array(categories.map { .string($0) })
    let categorySlot = fields.lookup(categoryField)
    for offset in probeValues.indices {
        let event = ProbeEvent(offset: offset, categorySlot: categorySlot, categories: categoryValue)
        for filter in filters {
            _ = filter.matches(event)
        }
    }
}
