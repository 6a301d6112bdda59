/// The state a commit stores for one input partition, besides the offset to resume at.
///
/// The text form, `eqlstream:v1;e=<offset>;t=<nanoseconds>;c=<milliseconds>`, is printable ASCII well under the
/// brokers' default 4096-byte metadata limit (librdkafka 2.0.2 corrupts metadata that contains NUL bytes).
public struct Checkpoint: Equatable, Sendable {
    /// Alerts whose matched events all have offsets below this one in their partitions were already produced and
    /// acknowledged, so a replay does not produce them again.
    public var emittedBelow: Int64
    /// The greatest event time seen before the resume offset; a replay restores the watermark from it.
    public var maxTime: Int64?
    /// Wall-clock time of the commit, milliseconds since the epoch. Alerts produced after it may be on the alerts
    /// topic without this checkpoint knowing, so a new owner looks for them there from this time on.
    public var committedAt: Int64?

    public init(emittedBelow: Int64, maxTime: Int64?, committedAt: Int64? = nil) {
        self.emittedBelow = emittedBelow
        self.maxTime = maxTime
        self.committedAt = committedAt
    }

    /// Returns whether the two checkpoints differ in more than their commit time.
    public func differsInState(from other: Checkpoint) -> Bool {
        emittedBelow != other.emittedBelow || maxTime != other.maxTime
    }

    static let prefix = "eqlstream:v1;"

    public var text: String {
        Self.prefix + "e=\(emittedBelow);t=" + (maxTime.map(String.init) ?? "-") + (committedAt.map { ";c=\($0)" } ?? "")
    }

    /// Parses the text form; returns `nil` for metadata written by another tool or an older format.
    public init?(text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        var emitted: Int64?
        var time: Int64??
        var committedAt: Int64?
        for field in text.dropFirst(Self.prefix.count).split(separator: ";") {
            let parts = field.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            switch parts[0] {
            case "e": emitted = Int64(parts[1])
            case "t": time = parts[1] == "-" ? .some(nil) : Int64(parts[1]).map { .some($0) }
            case "c": committedAt = Int64(parts[1])
            default: continue
            }
        }
        guard let emitted, let time else { return nil }
        self.emittedBelow = emitted
        self.maxTime = time
        self.committedAt = committedAt
    }
}
