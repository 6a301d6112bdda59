import Foundation
import Telemetry

/// A configuration problem, reported before the service starts; the process exits with status 2.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Parses Java-style `.properties` text: `key=value`, `key: value` or `key value` lines, `#` and `!` comments, and
/// a trailing backslash to continue a line.
public enum PropertiesParser {
    public static func parse(_ text: String, source: String) throws -> [(key: String, value: String, line: Int)] {
        var entries: [(key: String, value: String, line: Int)] = []
        var pending = ""
        var pendingLine = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            if pending.isEmpty {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("!") { continue }
                pendingLine = index + 1
                line = trimmed
            } else {
                line = line.trimmingCharacters(in: .whitespaces)
            }
            if line.hasSuffix("\\") {
                pending += String(line.dropLast())
                continue
            }
            let full = pending + line
            pending = ""
            // As in Java, the key ends at the first `=`, `:` or blank. Blanks and then one `=` or `:` may follow it.
            guard let keyEnd = full.firstIndex(where: { $0 == "=" || $0 == ":" || $0 == " " || $0 == "\t" }) else {
                // A secret written without a separator must not be echoed back.
                let shown = Redaction.isSecretKey(full) ? "a line naming a secret key" : "\"\(full)\""
                throw ConfigurationError("\(source):\(pendingLine): expected key=value, found \(shown)")
            }
            let key = String(full[..<keyEnd])
            var rest = full[keyEnd...].drop { $0 == " " || $0 == "\t" }
            if let first = rest.first, first == "=" || first == ":" { rest = rest.dropFirst() }
            let value = rest.trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else {
                throw ConfigurationError("\(source):\(pendingLine): the line has a value but no key")
            }
            entries.append((key, value, pendingLine))
        }
        return entries
    }
}
