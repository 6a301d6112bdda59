/// `between`, `indexOf`, `substring` and `number`.
///
/// Offsets count UTF-16 code units, as Elasticsearch's Java implementation does, so they equal character offsets
/// for text without characters outside the Basic Multilingual Plane.
enum StringFunctions {
    static func compile(
        _ name: String, isCaseInsensitive: Bool, _ arguments: [Expr], _ compiler: ExpressionCompiler
    ) throws -> ValueFunction {
        let values = try arguments.map { try compiler.value($0) }
        switch name {
        case "between":
            try compiler.requireText(arguments[0])
            try compiler.requireText(arguments[1])
            try compiler.requireText(arguments[2])
            if arguments.count == 4, compiler.kind(of: arguments[3]) != .boolean,
                compiler.kind(of: arguments[3]) != .unknown
            {
                throw EQLCompileError(at: arguments[3].position, "the greedy argument of `between` must be a boolean")
            }
            return { event in
                guard case .string(let source)? = values[0](event), case .string(let left)? = values[1](event),
                    case .string(let right)? = values[2](event)
                else {
                    return nil
                }
                var isGreedy = false
                if values.count == 4 {
                    guard case .bool(let flag)? = values[3](event) else {
                        return nil
                    }
                    isGreedy = flag
                }
                return .string(
                    between(source, left, right, isGreedy: isGreedy, isCaseInsensitive: isCaseInsensitive))
            }
        case "indexOf":
            try compiler.requireText(arguments[0])
            try compiler.requireText(arguments[1])
            if arguments.count == 3 {
                try compiler.requireNumber(arguments[2])
            }
            return { event in
                guard case .string(let source)? = values[0](event), case .string(let searched)? = values[1](event)
                else {
                    return nil
                }
                var start = 0
                if values.count == 3 {
                    guard case .integer(let given)? = values[2](event) else {
                        return nil
                    }
                    start = Int(clamping: given)
                }
                return indexOf(searched, in: source, from: start, isCaseInsensitive: isCaseInsensitive)
                    .map { .integer(Int64($0)) }
            }
        case "substring":
            try compiler.requireText(arguments[0])
            try compiler.requireNumber(arguments[1])
            if arguments.count == 3 {
                try compiler.requireNumber(arguments[2])
            }
            return { event in
                guard case .string(let source)? = values[0](event), case .integer(let start)? = values[1](event) else {
                    return nil
                }
                var end: Int64?
                if values.count == 3 {
                    guard case .integer(let given)? = values[2](event) else {
                        return nil
                    }
                    end = given
                }
                return .string(substring(source, start: start, end: end))
            }
        case "number":
            try compiler.requireText(arguments[0])
            if arguments.count == 2 {
                try compiler.requireNumber(arguments[1])
            }
            return { event in
                guard case .string(let text)? = values[0](event) else {
                    return nil
                }
                var base: Int64 = 10
                if values.count == 2 {
                    guard case .integer(let given)? = values[1](event) else {
                        return nil
                    }
                    base = given
                }
                return number(text, base: base)
            }
        default:
            throw EQLCompileError(at: arguments.first?.position ?? SourcePosition(line: 1, column: 1),
                "function `\(name)` is not implemented")
        }
    }

    /// Returns the text between the first `left` and the following `right`, or the last `right` when greedy.
    /// Returns an empty string when either is not found.
    static func between(_ source: String, _ left: String, _ right: String, isGreedy: Bool, isCaseInsensitive: Bool)
        -> String
    {
        let units = Array(source.utf16)
        let searched = isCaseInsensitive ? Array(source.lowercased().utf16) : units
        let leftUnits = Array((isCaseInsensitive ? left.lowercased() : left).utf16)
        let rightUnits = Array((isCaseInsensitive ? right.lowercased() : right).utf16)
        // NOTE: lowercasing can change the UTF-16 length of rare characters; offsets then refer to the wrong place.
        guard searched.count == units.count, let leftStart = find(leftUnits, in: searched, from: 0) else {
            return ""
        }
        let contentStart = leftStart + leftUnits.count
        let rightStart =
            isGreedy
            ? findLast(rightUnits, in: searched, notBefore: contentStart)
            : find(rightUnits, in: searched, from: contentStart)
        guard let rightStart else {
            return ""
        }
        return String(decoding: units[contentStart..<rightStart], as: UTF16.self)
    }

    /// Returns the UTF-16 offset of the first `searched` at or after `start`, or `nil` when there is none.
    static func indexOf(_ searched: String, in source: String, from start: Int, isCaseInsensitive: Bool) -> Int? {
        let haystack = Array((isCaseInsensitive ? source.lowercased() : source).utf16)
        let needle = Array((isCaseInsensitive ? searched.lowercased() : searched).utf16)
        return find(needle, in: haystack, from: max(start, 0))
    }

    /// Returns `source[start..<end]` with Python-style indices: negative values count from the end and out-of-range
    /// values are clamped, so an empty range gives an empty string.
    static func substring(_ source: String, start: Int64, end: Int64?) -> String {
        let units = Array(source.utf16)
        let count = Int64(units.count)
        func resolve(_ index: Int64) -> Int {
            let absolute = index < 0 ? count + index : index
            return Int(min(max(absolute, 0), count))
        }
        let from = resolve(start)
        let to = resolve(end ?? count)
        guard from < to else {
            return ""
        }
        return String(decoding: units[from..<to], as: UTF16.self)
    }

    /// Parses an integer in `base` (2 to 36), or a decimal number in base 10. Returns `nil` for invalid text.
    // NOTE: Elasticsearch raises an error for text it cannot convert; this engine returns null instead.
    static func number(_ text: String, base: Int64) -> EQLValue? {
        guard (2...36).contains(base) else {
            return nil
        }
        var digits = Substring(text)
        if base == 16 && (digits.hasPrefix("0x") || digits.hasPrefix("0X")) {
            digits = digits.dropFirst(2)
        }
        if let integer = Int64(digits, radix: Int(base)) {
            return .integer(integer)
        }
        if base == 10, let decimal = Double(text), decimal.isFinite {
            return .double(decimal)
        }
        return nil
    }

    private static func find(_ needle: [UInt16], in haystack: [UInt16], from start: Int) -> Int? {
        guard start <= haystack.count, needle.count <= haystack.count - start else {
            return nil
        }
        if needle.isEmpty {
            return start
        }
        for offset in start...(haystack.count - needle.count)
        where haystack[offset..<(offset + needle.count)].elementsEqual(needle) {
            return offset
        }
        return nil
    }

    private static func findLast(_ needle: [UInt16], in haystack: [UInt16], notBefore start: Int) -> Int? {
        guard start <= haystack.count, needle.count <= haystack.count - start else {
            return nil
        }
        for offset in stride(from: haystack.count - needle.count, through: start, by: -1)
        where haystack[offset..<(offset + needle.count)].elementsEqual(needle) {
            return offset
        }
        return nil
    }
}
