import EQL

#if canImport(Glibc)
import Glibc
#endif

/// A validating, single-pass JSON reader that materialises only the values under wanted field paths.
///
/// Values that no rule reads are checked for well-formedness and skipped without allocation.
struct JSONScanner {
    static let maxDepth = 128

    let bytes: UnsafeRawBufferPointer
    var index = 0
    var slots: [EQLValue?]
    /// Slots whose field held an object. Such a field reads as missing, but an object timestamp is a wrong type.
    var objectSlots: Set<Int> = []
    private var scratch: [UInt8] = []

    let trie: FieldTrie

    init(bytes: UnsafeRawBufferPointer, slotCount: Int, trie: FieldTrie) {
        self.bytes = bytes
        self.trie = trie
        self.slots = Array(repeating: nil, count: slotCount)
    }

    // MARK: Entry point

    /// Reads the whole message, which must be one JSON object, filling `slots` through `root`.
    mutating func scanDocument() throws(DecodeError) {
        skipWhitespace()
        guard index < bytes.count else {
            throw DecodeError(.invalidJSON, at: index, "the message is empty")
        }
        if bytes[index] != UInt8(ascii: "{") {
            try skipValue(depth: 0)
            skipWhitespace()
            guard index == bytes.count else { throw unexpected("end of message") }
            throw DecodeError(.notAnObject, at: 0, "the message is valid JSON but not an object")
        }
        try scanObject(node: FieldTrie.root, depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw unexpected("end of message") }
    }

    // MARK: Objects and arrays

    private mutating func scanObject(node: FieldTrie.Node, depth: Int) throws(DecodeError) {
        guard depth < Self.maxDepth else {
            throw DecodeError(.invalidJSON, at: index, "nesting deeper than \(Self.maxDepth) levels")
        }
        index += 1  // "{"
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected("a string key") }
            let child = try scanKey(in: node)
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw unexpected("':' after the key") }
            index += 1
            skipWhitespace()
            if let child {
                try scanWanted(node: child, depth: depth + 1)
            } else {
                try skipValue(depth: depth + 1)
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default:
                throw unexpected("',' or '}'")
            }
        }
    }

    /// Reads a value whose path is in the trie: stores it when the node has a slot, descends when it has children.
    private mutating func scanWanted(node: FieldTrie.Node, depth: Int) throws(DecodeError) {
        switch peek() {
        case UInt8(ascii: "{"):
            if trie.hasChildren(node) {
                try scanObject(node: node, depth: depth)
            } else {
                // An object where a value was expected reads as a missing field.
                if let slot = trie.slot(node) { objectSlots.insert(slot) }
                try skipValue(depth: depth)
            }
        case UInt8(ascii: "["):
            var elements: [EQLValue] = []
            try scanArray(node: node, depth: depth, into: &elements)
            if let slot = trie.slot(node) {
                store(.array(elements), at: slot)
            }
        default:
            let value = try scanScalar()
            if let slot = trie.slot(node) {
                store(value, at: slot)
            }
        }
    }

    /// Reads an array under a wanted path. Scalars are collected (nested arrays flattened, as Elasticsearch indexes
    /// them); objects inside the array are descended into, so `[{"ip": "a"}, {"ip": "b"}]` gives `x.ip = [a, b]`.
    private mutating func scanArray(node: FieldTrie.Node, depth: Int, into elements: inout [EQLValue]) throws(DecodeError)
    {
        guard depth < Self.maxDepth else {
            throw DecodeError(.invalidJSON, at: index, "nesting deeper than \(Self.maxDepth) levels")
        }
        index += 1  // "["
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "["):
                try scanArray(node: node, depth: depth + 1, into: &elements)
            case UInt8(ascii: "{"):
                if trie.hasChildren(node) {
                    try scanObject(node: node, depth: depth + 1)
                } else {
                    try skipValue(depth: depth + 1)
                }
            default:
                elements.append(try scanScalar())
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default:
                throw unexpected("',' or ']'")
            }
        }
    }

    /// Stores a value; a path seen twice (a dotted key beside a nested one) becomes multi-valued.
    private mutating func store(_ value: EQLValue, at slot: Int) {
        Self.merge(value, into: &slots[slot])
    }

    /// Stores `value` where a value may already be: a repeated key (`a.b` beside `a: {b}`) adds to an array.
    static func merge(_ value: EQLValue, into existing: inout EQLValue?) {
        guard let current = existing else {
            existing = value
            return
        }
        var merged: [EQLValue] = []
        if case .array(let items) = current { merged = items } else { merged = [current] }
        if case .array(let items) = value { merged.append(contentsOf: items) } else { merged.append(value) }
        existing = .array(merged)
    }

    // MARK: Skipping

    private mutating func skipValue(depth: Int) throws(DecodeError) {
        guard depth < Self.maxDepth else {
            throw DecodeError(.invalidJSON, at: index, "nesting deeper than \(Self.maxDepth) levels")
        }
        switch peek() {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw unexpected("a string key") }
                try skipString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw unexpected("':' after the key") }
                index += 1
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    return
                default: throw unexpected("',' or '}'")
                }
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    return
                default: throw unexpected("',' or ']'")
                }
            }
        case UInt8(ascii: "\""):
            try skipString()
        default:
            _ = try scanScalar()
        }
    }

    // MARK: Scalars

    private mutating func scanScalar() throws(DecodeError) -> EQLValue {
        guard let first = peek() else { throw unexpected("a JSON value") }
        switch first {
        case UInt8(ascii: "\""):
            return .string(try scanString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try scanNumber()
        default:
            throw unexpected("a JSON value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(DecodeError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw unexpected("'\(literal)'") }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            throw unexpected("'\(literal)'")
        }
        index += count
    }

    private mutating func scanNumber() throws(DecodeError) -> EQLValue {
        let start = index
        var isInteger = true
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw unexpected("a digit") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard let byte = peek(), isDigit(byte) else { throw unexpected("a digit after '.'") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek(), isDigit(digit) else { throw unexpected("a digit in the exponent") }
            while let byte = peek(), isDigit(byte) { index += 1 }
        }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if isInteger, let value = parseInteger(text) {
            return .integer(value)
        }
        return .double(parseDouble(text))
    }

    private func parseInteger(_ text: UnsafeRawBufferPointer) -> Int64? {
        var value: Int64 = 0
        var isNegative = false
        for byte in text {
            if byte == UInt8(ascii: "-") {
                isNegative = true
                continue
            }
            let (product, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = product.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflowA || overflowB { return nil }
            value = sum
        }
        return isNegative ? -value : value
    }

    private func parseDouble(_ text: UnsafeRawBufferPointer) -> Double {
        var buffer = [CChar](repeating: 0, count: text.count + 1)
        for (offset, byte) in text.enumerated() { buffer[offset] = CChar(bitPattern: byte) }
        return strtod(buffer, nil)
    }

    // MARK: Strings

    /// Reads an object key and returns the trie node it leads to, or `nil` when no wanted path goes through it.
    private mutating func scanKey(in node: FieldTrie.Node) throws(DecodeError) -> FieldTrie.Node? {
        let start = index + 1
        let hasEscapes = try skipString()
        if !hasEscapes {
            return trie.descend(from: node, key: UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)]))
        }
        let key = try decodeString(from: start - 1)
        let trie = self.trie
        return key.withUnsafeBytes { trie.descend(from: node, key: $0) }
    }

    private mutating func scanString() throws(DecodeError) -> String {
        let start = index
        let hasEscapes = try skipString()
        if !hasEscapes {
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(index - 1)]), as: UTF8.self)
        }
        let decoded = try decodeString(from: start)
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Skips a string starting at its opening quote, validating escapes, control characters and UTF-8.
    /// Returns whether the string contains escapes.
    @discardableResult
    private mutating func skipString() throws(DecodeError) -> Bool {
        index += 1  // opening quote
        var hasEscapes = false
        while index < bytes.count {
            skipPlainStringBytes()
            guard index < bytes.count else { break }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return hasEscapes
            case UInt8(ascii: "\\"):
                hasEscapes = true
                index += 1
                guard let escape = peek() else { break }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    index += 1
                    for _ in 0..<4 {
                        guard let hex = peek(), hexValue(hex) != nil else { throw unexpected("four hex digits") }
                        index += 1
                    }
                default:
                    throw DecodeError(.invalidJSON, at: index, "invalid escape '\\\(Character(Unicode.Scalar(escape)))'")
                }
            case 0..<0x20:
                throw DecodeError(.invalidJSON, at: index, "control character U+00\(hexByte(byte)) inside a string")
            case 0x80...:
                try skipUTF8Sequence()
            default:
                index += 1
            }
        }
        throw DecodeError(.invalidJSON, at: index, "unterminated string")
    }

    private mutating func skipUTF8Sequence() throws(DecodeError) {
        let lead = bytes[index]
        let length: Int
        let minimum: UInt32
        var scalar: UInt32
        switch lead {
        case 0xC2...0xDF:
            length = 2
            minimum = 0x80
            scalar = UInt32(lead & 0x1F)
        case 0xE0...0xEF:
            length = 3
            minimum = 0x800
            scalar = UInt32(lead & 0x0F)
        case 0xF0...0xF4:
            length = 4
            minimum = 0x10000
            scalar = UInt32(lead & 0x07)
        default:
            throw DecodeError(.invalidUTF8, at: index, "byte 0x\(hexByte(lead)) cannot start a UTF-8 sequence")
        }
        guard index + length <= bytes.count else {
            throw DecodeError(.invalidUTF8, at: index, "truncated UTF-8 sequence")
        }
        for offset in 1..<length {
            let continuation = bytes[index + offset]
            guard continuation & 0xC0 == 0x80 else {
                throw DecodeError(.invalidUTF8, at: index + offset, "byte 0x\(hexByte(continuation)) is not a UTF-8 continuation byte")
            }
            scalar = scalar << 6 | UInt32(continuation & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw DecodeError(.invalidUTF8, at: index, "overlong or out-of-range UTF-8 sequence")
        }
        index += length
    }

    /// Advances over string bytes that need no attention (printable ASCII other than `"` and `\\`), eight at a time.
    @inline(__always)
    private mutating func skipPlainStringBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        guard let base = bytes.baseAddress else { return }
        while index + 8 <= bytes.count {
            let word = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let quotes = word ^ (ones &* 0x22)
            let backslashes = word ^ (ones &* 0x5C)
            let hasQuote = (quotes &- ones) & ~quotes & highs
            let hasBackslash = (backslashes &- ones) & ~backslashes & highs
            let hasControl = (word &- ones &* 0x20) & ~word & highs
            let hasHighBit = word & highs
            if hasQuote | hasBackslash | hasControl | hasHighBit != 0 { return }
            index += 8
        }
    }

    /// Decodes the escapes of the string starting at `start` (its opening quote) into UTF-8 bytes.
    private mutating func decodeString(from start: Int) throws(DecodeError) -> [UInt8] {
        scratch.removeAll(keepingCapacity: true)
        var position = start + 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\") else {
                scratch.append(byte)
                position += 1
                continue
            }
            let escape = bytes[position + 1]
            position += 2
            switch escape {
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var code = readHex4(at: position)
                position += 4
                if (0xD800...0xDBFF).contains(code), position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                {
                    let low = readHex4(at: position + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        position += 6
                    }
                }
                guard let scalar = Unicode.Scalar(code) else {
                    throw DecodeError(.invalidUTF8, at: position - 4, "unpaired surrogate \\u\(String(code, radix: 16))")
                }
                scratch.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: scratch.append(escape)
            }
        }
        return scratch
    }

    private func readHex4(at position: Int) -> UInt32 {
        var code: UInt32 = 0
        for offset in 0..<4 {
            code = code << 4 | UInt32(hexValue(bytes[position + offset]) ?? 0)
        }
        return code
    }

    // MARK: Helpers

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    private func unexpected(_ expected: String) -> DecodeError {
        guard let byte = peek() else {
            return DecodeError(.invalidJSON, at: index, "unexpected end of message, expected \(expected)")
        }
        let found = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(hexByte(byte))"
        return DecodeError(.invalidJSON, at: index, "found \(found), expected \(expected)")
    }
}
