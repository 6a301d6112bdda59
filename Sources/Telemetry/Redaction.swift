import Foundation
import Synchronization

/// Keeps secrets out of log lines and error messages.
///
/// A key is secret when its name looks like one (``isSecretKey(_:)``). Its value is then registered, and
/// ``scrub(_:)`` replaces every occurrence of a registered value anywhere in a line. Matching on keys alone would
/// miss librdkafka's own error strings and debug dumps, which this program does not format.
public enum Redaction {
    public static let mask = "[redacted]"

    /// Registered secret values, longest first so that a secret containing another is replaced whole.
    private static let secrets = Mutex<[String]>([])

    /// Fragments of librdkafka property names whose values are secret: passwords, client secrets, private keys,
    /// tokens and the OAUTHBEARER settings that embed them.
    static let secretFragments = [
        "password", "secret", "token", "credential", "private", "sasl.oauthbearer.config",
        "sasl.oauthbearer.extensions", "ssl.key", "keystore", "sasl.jaas",
    ]

    /// Returns whether values of `key` must never be printed.
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretFragments.contains { lowered.contains($0) }
    }

    /// Registers a secret value so that ``scrub(_:)`` replaces it.
    ///
    /// NOTE: values shorter than 4 characters are not registered, because replacing them would mangle ordinary
    /// text. Such a secret is kept out of output only where its key is known.
    public static func register(secret value: String) {
        guard value.count >= 4 else { return }
        secrets.withLock { list in
            guard !list.contains(value) else { return }
            list.append(value)
            list.sort { $0.count > $1.count }
        }
    }

    /// Returns `text` with every registered secret value replaced by ``mask``.
    public static func scrub(_ text: String) -> String {
        let list = secrets.withLock { $0 }
        guard !list.isEmpty else { return text }
        var result = text
        for secret in list where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: mask)
        }
        return result
    }
}
