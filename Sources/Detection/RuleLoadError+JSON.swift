import Foundation

extension RuleLoadError {
    /// Builds the error for JSON text that Foundation's parser rejected, at the line and column where it stopped.
    ///
    /// swift-corelibs-foundation reports the position as "around character N", a 0-based byte offset into `text`.
    /// When the message has no such position, the error names `firstLine` only.
    static func invalidJSON(_ error: any Error, in text: [UInt8], file: String, firstLine: Int) -> RuleLoadError {
        let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? ""
        var reason = detail
        var line = firstLine
        var column: Int?
        if let marker = detail.range(of: " around character ") {
            reason = String(detail[..<marker.lowerBound])
            let digits = detail[marker.upperBound...].prefix { $0.isNumber }
            if let offset = Int(digits) {
                let before = text.prefix(min(offset, text.count))
                let newlines = before.filter { $0 == UInt8(ascii: "\n") }.count
                line = firstLine + newlines
                let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
                column = String(decoding: text[lineStart..<before.endIndex], as: UTF8.self).count + 1
            }
        }
        let what = reason.isEmpty ? "invalid JSON" : "invalid JSON (\(reason.lowercased()))"
        return RuleLoadError(
            file: file, line: line, column: column,
            "\(what); look for a missing value, comma, quote or bracket here or just before. A rule file holds one JSON object, or one object per line")
    }
}
