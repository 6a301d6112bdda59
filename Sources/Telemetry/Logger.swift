import Foundation
import Synchronization

/// Log levels, as swift-log names them.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .notice: return "notice"
        case .warning: return "warning"
        case .error: return "error"
        case .critical: return "critical"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = level
    }
}

/// How log lines are written.
public enum LogFormat: String, Sendable {
    case logfmt
    case json
}

/// A structured logger that writes one line per event to standard error.
///
/// Metadata is passed as key-value pairs instead of being interpolated into the message, so lines stay
/// machine-readable. Values of keys that look like secrets, and every secret value registered with ``Redaction``,
/// are replaced before writing, in messages from librdkafka too.
public final class Logger: Sendable {
    public let label: String
    private let settings: Mutex<(level: LogLevel, format: LogFormat)>

    public init(label: String, level: LogLevel = .info, format: LogFormat = .logfmt) {
        self.label = label
        self.settings = Mutex((level, format))
    }

    public var level: LogLevel {
        get { settings.withLock { $0.level } }
        set { settings.withLock { $0.level = newValue } }
    }

    public var format: LogFormat {
        get { settings.withLock { $0.format } }
        set { settings.withLock { $0.format = newValue } }
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        let (minimum, format) = settings.withLock { ($0.level, $0.format) }
        guard level >= minimum else { return }
        var pairs: [(String, String)] = [
            ("ts", Logger.timestamp()), ("level", level.name), ("logger", label), ("msg", message()),
        ]
        for (key, value) in metadata {
            pairs.append((key, Redaction.isSecretKey(key) ? Redaction.mask : "\(value)"))
        }
        let line = Redaction.scrub(format == .json ? Logger.json(pairs) : Logger.logfmt(pairs))
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func trace(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        log(.trace, message(), metadata)
    }
    public func debug(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        log(.debug, message(), metadata)
    }
    public func info(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        log(.info, message(), metadata)
    }
    public func warning(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        log(.warning, message(), metadata)
    }
    public func error(_ message: @autoclosure () -> String, _ metadata: KeyValuePairs<String, Any> = [:]) {
        log(.error, message(), metadata)
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }

    static func logfmt(_ pairs: [(String, String)]) -> String {
        pairs.map { key, value in
            let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\n" }
            guard needsQuotes else { return "\(key)=\(value)" }
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }.joined(separator: " ")
    }

    static func json(_ pairs: [(String, String)]) -> String {
        let members = pairs.map { key, value in "\(quote(key)):\(quote(value))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    private static func quote(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
