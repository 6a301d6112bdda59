import Metrics
import Synchronization

/// The latest metrics snapshot, handed from the consumer thread to the HTTP server's thread.
///
/// The consumer thread replaces the snapshot under a lock at most every 250 ms; readers copy it under the same lock
/// and render outside it. Nothing on the per-event path touches the lock.
public final class MetricsBoard: Sendable {
    public let settings: ProbeSettings
    private let latest: Mutex<MetricsSnapshot>
    private let stop: StopSignal?

    /// Creates a board whose first snapshot is empty and taken now, so `/healthz` passes during start-up until the
    /// health timeout runs out. `stop` makes `/readyz` fail as soon as shutdown begins.
    public init(settings: ProbeSettings, stop: StopSignal? = nil, now: ContinuousClock.Instant = .now) {
        self.settings = settings
        self.stop = stop
        self.latest = Mutex(MetricsSnapshot(takenAt: now))
    }

    public func publish(_ snapshot: MetricsSnapshot) {
        latest.withLock { $0 = snapshot }
    }

    public var snapshot: MetricsSnapshot {
        latest.withLock { $0 }
    }

    public func health(now: ContinuousClock.Instant = .now) -> ProbeResult {
        snapshot.health(now: now, settings: settings)
    }

    public func readiness(now: ContinuousClock.Instant = .now) -> ProbeResult {
        snapshot.readiness(now: now, settings: settings, isStopping: stop?.isStopped ?? false)
    }

    /// Renders the latest snapshot in the Prometheus text format.
    public func metricsText() -> String {
        PrometheusText.render(snapshot.families())
    }
}
