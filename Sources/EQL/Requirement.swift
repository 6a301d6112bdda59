/// A condition that an event must meet for a filter to match it, derived from the filter's query.
///
/// It is necessary, not sufficient: an event that fails it cannot match, and one that meets it may still not. A
/// decoder tests it on the raw parsed values before it builds any field value, to set aside quickly the events
/// that no rule can use.
public indirect enum Requirement: Sendable, Equatable {
    /// Nothing is known; every event may match.
    case anything
    case all([Requirement])
    case any([Requirement])
    /// The field in `slot` contains a string, or an array with a string, equal to one of `values`. With
    /// `ignoringCase`, the values are lowercase ASCII and the comparison folds ASCII letters. A value with other
    /// characters than ASCII always meets the requirement, because its case folding is not byte by byte.
    case oneOf(slot: Int, values: [String], ignoringCase: Bool)

    /// Builds the requirement of `condition` within `category` (nil for `any`).
    static func of(_ condition: Expr, category: String?, categorySlot: Int, fields: FieldTable) -> Requirement {
        let body = of(condition, fields: fields)
        guard let category else { return body }
        return .all([.oneOf(slot: categorySlot, values: [category], ignoringCase: false), body]).simplified
    }

    private static func of(_ expression: Expr, fields: FieldTable) -> Requirement {
        switch expression {
        case .and(let left, let right, _):
            return Requirement.all([of(left, fields: fields), of(right, fields: fields)]).simplified
        case .or(let left, let right, _):
            return Requirement.any([of(left, fields: fields), of(right, fields: fields)]).simplified
        case .comparison(.equal, .field(let reference), .literal(.string(let text), _), _),
             .comparison(.equal, .literal(.string(let text), _), .field(let reference), _):
            return .oneOf(slot: fields.slot(for: reference.name), values: [text], ignoringCase: false)
        case .membership(.field(let reference), let items, let isCaseInsensitive, false, _):
            return strings(of: items, slot: fields.slot(for: reference.name), ignoringCase: isCaseInsensitive,
                           allowsWildcards: false)
        case .pattern(let patternOperator, .field(let reference), let items, _):
            switch patternOperator {
            case .wildcardEquals, .likeInsensitive:
                return strings(of: items, slot: fields.slot(for: reference.name), ignoringCase: true, allowsWildcards: true)
            case .like:
                return strings(of: items, slot: fields.slot(for: reference.name), ignoringCase: false, allowsWildcards: true)
            case .regex, .regexInsensitive:
                return .anything
            }
        default:
            return .anything
        }
    }

    /// Returns the requirement that the field equals one of `items` when every item is a plain string literal, and
    /// `.anything` otherwise. Pattern items with `*` or `?` are wildcards, so they give `.anything` too.
    private static func strings(of items: [Expr], slot: Int, ignoringCase: Bool, allowsWildcards: Bool) -> Requirement {
        var values: [String] = []
        for item in items {
            guard case .literal(.string(let text), _) = item else { return .anything }
            if allowsWildcards && text.utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }) {
                return .anything
            }
            if ignoringCase {
                guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return .anything }
                values.append(String(decoding: text.utf8.map(ValueComparison.asciiLowercase), as: UTF8.self))
            } else {
                values.append(text)
            }
        }
        return values.isEmpty ? .anything : .oneOf(slot: slot, values: values, ignoringCase: ignoringCase)
    }

    /// The same requirement with `.anything` dropped from `all` and absorbing `any`.
    var simplified: Requirement {
        switch self {
        case .all(let parts):
            let kept = parts.filter { $0 != .anything }
            return kept.isEmpty ? .anything : (kept.count == 1 ? kept[0] : .all(kept))
        case .any(let parts):
            return parts.contains(.anything) ? .anything : (parts.count == 1 ? parts[0] : .any(parts))
        default:
            return self
        }
    }
}
