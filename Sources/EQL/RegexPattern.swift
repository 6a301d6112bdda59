import Foundation

/// A regular expression for `regex` and `regex~` that must match the whole value.
///
/// Elasticsearch evaluates these with Lucene's regular expression syntax. This type uses `NSRegularExpression`,
/// which agrees on literals, `.`, `*`, `+`, `?`, `{m,n}`, character classes, groups and `|`.
// NOTE: Lucene-only operators such as `~` (complement), `&` (intersection), `<m-n>` (numeric range) and `@` have
// other meanings or none here, and NSRegularExpression escapes such as `\d` are not Lucene syntax.
struct RegexPattern: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented as safe to use from several threads.
    private let expression: NSRegularExpression

    /// Compiles `pattern`, anchored at both ends, or returns `nil` when the pattern is invalid.
    init?(_ pattern: String, isCaseInsensitive: Bool) {
        let options: NSRegularExpression.Options = isCaseInsensitive ? [.caseInsensitive] : []
        guard let expression = try? NSRegularExpression(pattern: "\\A(?:\(pattern))\\z", options: options) else {
            return nil
        }
        self.expression = expression
    }

    func matches(_ value: String) -> Bool {
        let range = NSRange(value.startIndex..<value.endIndex, in: value)
        return expression.firstMatch(in: value, options: [], range: range) != nil
    }
}
