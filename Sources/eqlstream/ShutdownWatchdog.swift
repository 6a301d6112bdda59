import Foundation
import Pipeline
import Telemetry

/// Ends the process when a shutdown takes longer than `shutdown.timeout`, for instance while librdkafka waits for
/// a broker that is gone or the processor is still starting.
enum ShutdownWatchdog {
    /// Starts a thread that waits for `stop`, then gives the shutdown `timeout` before it exits with status 1.
    static func start(stop: StopSignal, timeout: Duration, logger: Logger) {
        let thread = Thread {
            while !stop.isStopped {
                Thread.sleep(forTimeInterval: 0.05)
            }
            let (seconds, attoseconds) = timeout.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
            logger.error(
                "shutdown timed out; exiting now, and the next owner replays from the last commit",
                ["timeout_ms": seconds * 1000 + attoseconds / 1_000_000_000_000_000])
            exit(ExitStatus.failure)
        }
        thread.name = "shutdown-watchdog"
        thread.start()
    }
}
