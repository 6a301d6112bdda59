import EQL

/// One join key value. Keys compare exactly: no case folding, and numbers compare by value.
public typealias EQLValueKey = EQLValue

enum JoinKey {
    /// Returns every key tuple the event offers for `fields`, or an empty list when a required key is missing.
    ///
    /// A multi-valued key field makes the event a candidate once per value, so two multi-valued fields give the
    /// cross product.
    static func values(of event: some FieldSource, fields: [CompiledRule.KeyField]) -> [[EQLValue]] {
        var tuples: [[EQLValue]] = [[]]
        for field in fields {
            var candidates: [EQLValue]
            switch event.value(atSlot: field.slot) {
            case nil, .null?:
                guard field.isOptional else { return [] }
                candidates = [.null]
            case .array(let items)?:
                candidates = items.filter { $0 != .null }
                if candidates.isEmpty {
                    guard field.isOptional else { return [] }
                    candidates = [.null]
                }
            case let value?:
                candidates = [value]
            }
            if candidates.count == 1 {
                for index in tuples.indices { tuples[index].append(candidates[0]) }
            } else {
                tuples = tuples.flatMap { tuple in candidates.map { tuple + [$0] } }
            }
        }
        return tuples
    }
}
