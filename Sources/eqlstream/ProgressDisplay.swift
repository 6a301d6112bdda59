import Foundation
import Pipeline

/// Draws a ``ProgressMeter`` line on standard error when it is a terminal, and nothing when it is piped or
/// redirected, so logs and captured output stay free of control characters.
final class ProgressDisplay {
    private var meter: ProgressMeter
    private let isEnabled: Bool
    private var isShowing = false

    init(total: Int64?, isEnabled: Bool = isatty(STDERR_FILENO) == 1) {
        meter = ProgressMeter(total: total)
        self.isEnabled = isEnabled
    }

    /// Redraws the line when the meter allows.
    func update(events: Int, done: Int64) {
        guard isEnabled, let line = meter.update(events: events, done: done) else { return }
        FileHandle.standardError.write(Data(line.utf8))
        isShowing = true
    }

    /// Erases the line, before other output goes to standard error and at the end.
    func clear() {
        guard isShowing else { return }
        FileHandle.standardError.write(Data(ProgressMeter.clearLine.utf8))
        isShowing = false
    }
}
