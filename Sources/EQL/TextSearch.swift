/// A prepared search for a literal text inside values: as a prefix, a suffix or anywhere.
///
/// Case-sensitive searches compare UTF-8 bytes. Case-insensitive searches lowercase the literal once and fold ASCII
/// values byte by byte without allocating; values with other characters are lowercased first.
struct TextSearch: Sendable {
    enum Kind: Sendable {
        case prefix, suffix, contains
    }

    private let needle: [UInt8]
    private let kind: Kind
    private let isCaseInsensitive: Bool

    init(_ literal: String, kind: Kind, isCaseInsensitive: Bool) {
        needle = Array((isCaseInsensitive ? literal.lowercased() : literal).utf8)
        self.kind = kind
        self.isCaseInsensitive = isCaseInsensitive
    }

    func isFound(in text: String) -> Bool {
        var isASCII = true
        for byte in text.utf8 where byte >= 0x80 {
            isASCII = false
            break
        }
        if isCaseInsensitive && !isASCII {
            return search(Array(text.lowercased().utf8), fold: false)
        }
        return text.utf8.withContiguousStorageIfAvailable { search($0, fold: isCaseInsensitive) }
            ?? search(Array(text.utf8), fold: isCaseInsensitive)
    }

    private func search<C: RandomAccessCollection>(_ haystack: C, fold: Bool) -> Bool
    where C.Element == UInt8, C.Index == Int {
        let count = haystack.count
        if needle.count > count {
            return false
        }
        let base = haystack.startIndex
        switch kind {
        case .prefix:
            return matches(haystack, at: base, fold: fold)
        case .suffix:
            return matches(haystack, at: base + count - needle.count, fold: fold)
        case .contains:
            for offset in 0...(count - needle.count) where matches(haystack, at: base + offset, fold: fold) {
                return true
            }
            return false
        }
    }

    private func matches<C: RandomAccessCollection>(_ haystack: C, at start: Int, fold: Bool) -> Bool
    where C.Element == UInt8, C.Index == Int {
        for (offset, expected) in needle.enumerated() {
            let byte = haystack[start + offset]
            if (fold ? ValueComparison.asciiLowercase(byte) : byte) != expected {
                return false
            }
        }
        return true
    }
}
