/// A pattern where `*` matches any run of characters and `?` matches exactly one, as used by `:`, `like` and
/// `like~`. The pattern must match the whole value.
// NOTE: There is no escape for a literal `*` or `?`; both are always wildcards here.
struct WildcardPattern: Sendable {
    private let bytes: [UInt8]
    private let scalars: [Unicode.Scalar]
    private let isCaseInsensitive: Bool
    /// The pattern text, lowercased when the match ignores case.
    let text: String

    init(_ pattern: String, isCaseInsensitive: Bool) {
        let normalized = isCaseInsensitive ? pattern.lowercased() : pattern
        text = normalized
        bytes = Array(normalized.utf8)
        scalars = Array(normalized.unicodeScalars)
        self.isCaseInsensitive = isCaseInsensitive
    }

    /// Returns whether the pattern matches all of `value`.
    ///
    /// ASCII values match byte by byte without allocating. Other values are matched by Unicode scalar, after
    /// lowercasing when the match ignores case, so `?` stands for one code point.
    func matches(_ value: String) -> Bool {
        var isASCII = true
        for byte in value.utf8 where byte >= 0x80 {
            isASCII = false
            break
        }
        if isASCII {
            return value.utf8.withContiguousStorageIfAvailable { buffer in
                matchBytes(buffer)
            } ?? matchBytes(Array(value.utf8))
        }
        let subject = isCaseInsensitive ? value.lowercased() : value
        return WildcardPattern.match(pattern: scalars, value: Array(subject.unicodeScalars), star: "*", any: "?") {
            $0 == $1
        }
    }

    private func matchBytes<C: RandomAccessCollection>(_ value: C) -> Bool where C.Element == UInt8, C.Index == Int {
        let folds = isCaseInsensitive
        return WildcardPattern.match(pattern: bytes, value: value, star: UInt8(ascii: "*"), any: UInt8(ascii: "?")) {
            $0 == (folds ? ValueComparison.asciiLowercase($1) : $1)
        }
    }

    /// Matches with backtracking to the most recent `*`, which runs in O(pattern × value) time at worst.
    private static func match<P: RandomAccessCollection, V: RandomAccessCollection>(
        pattern: P, value: V, star: P.Element, any: P.Element, equal: (P.Element, V.Element) -> Bool
    ) -> Bool where P.Index == Int, V.Index == Int, P.Element: Equatable {
        var p = pattern.startIndex
        var v = value.startIndex
        var starIndex: Int?
        var resumeIndex = v
        while v < value.endIndex {
            if p < pattern.endIndex && pattern[p] != star && (pattern[p] == any || equal(pattern[p], value[v])) {
                p += 1
                v += 1
            } else if p < pattern.endIndex && pattern[p] == star {
                starIndex = p
                resumeIndex = v
                p += 1
            } else if let starAt = starIndex {
                p = starAt + 1
                resumeIndex += 1
                v = resumeIndex
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == star {
            p += 1
        }
        return p == pattern.endIndex
    }
}
