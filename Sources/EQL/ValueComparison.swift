/// The result of a condition under SQL-style three-valued logic, where `unknown` comes from a null input.
enum Truth: Sendable {
    case isTrue
    case isFalse
    case unknown

    init(_ value: Bool) {
        self = value ? .isTrue : .isFalse
    }

    var negated: Truth {
        switch self {
        case .isTrue: .isFalse
        case .isFalse: .isTrue
        case .unknown: .unknown
        }
    }
}

/// Value tests shared by the operators: equality, ordering and case-insensitive equality.
///
/// Strings compare by their UTF-8 bytes, which equals ordinal order by code point, with no Unicode normalization.
/// Integers and decimals compare numerically with each other. Values of different kinds are never equal and have no
/// order.
enum ValueComparison {
    /// Returns whether `value` is non-null and `test` holds for it or, for an array, for any element.
    @inline(__always)
    static func anyElement(_ value: EQLValue, _ test: (EQLValue) -> Bool) -> Bool {
        switch value {
        case .null:
            return false
        case .array(let elements):
            for element in elements where anyElement(element, test) {
                return true
            }
            return false
        default:
            return test(value)
        }
    }

    static func equals(_ left: EQLValue, _ right: EQLValue) -> Bool {
        switch (left, right) {
        case (.string(let a), .string(let b)):
            return a.utf8.elementsEqual(b.utf8)
        case (.bool(let a), .bool(let b)):
            return a == b
        default:
            return compare(left, right) == 0
        }
    }

    /// Returns a negative number, zero or a positive number, or `nil` when the values have no common order.
    static func compare(_ left: EQLValue, _ right: EQLValue) -> Int? {
        switch (left, right) {
        case (.integer(let a), .integer(let b)):
            return a < b ? -1 : (a == b ? 0 : 1)
        case (.integer(let a), .double(let b)):
            return compareDoubles(Double(a), b)
        case (.double(let a), .integer(let b)):
            return compareDoubles(a, Double(b))
        case (.double(let a), .double(let b)):
            return compareDoubles(a, b)
        case (.string(let a), .string(let b)):
            return compareStrings(a, b)
        default:
            return nil
        }
    }

    private static func compareDoubles(_ a: Double, _ b: Double) -> Int? {
        if a.isNaN || b.isNaN {
            return nil
        }
        return a < b ? -1 : (a == b ? 0 : 1)
    }

    static func compareStrings(_ a: String, _ b: String) -> Int {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil):
                return 0
            case (nil, _):
                return -1
            case (_, nil):
                return 1
            case (let x?, let y?):
                if x != y {
                    return x < y ? -1 : 1
                }
            }
        }
    }

    /// Returns whether `value` equals `lowercasedLiteral` ignoring case.
    ///
    /// `lowercasedLiteral` must already be lowercased with `String.lowercased()`. ASCII values compare byte by byte
    /// without allocating; other values are lowercased first.
    static func equalsIgnoringCase(_ value: String, lowercasedLiteral: String) -> Bool {
        var literalBytes = lowercasedLiteral.utf8.makeIterator()
        for byte in value.utf8 {
            if byte >= 0x80 {
                return value.lowercased().utf8.elementsEqual(lowercasedLiteral.utf8)
            }
            guard let expected = literalBytes.next(), expected == asciiLowercase(byte) else {
                return false
            }
        }
        return literalBytes.next() == nil
    }

    @inline(__always)
    static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (byte >= 65 && byte <= 90) ? byte + 32 : byte
    }

    /// Returns the text that `string(value)` and `concat` produce, or `nil` for null and arrays.
    static func text(of value: EQLValue) -> String? {
        switch value {
        case .null, .array:
            return nil
        case .bool(let flag):
            return flag ? "true" : "false"
        case .integer(let number):
            return String(number)
        case .double(let number):
            return String(number)
        case .string(let text):
            return text
        }
    }
}
