extension StreamProcessor {
    /// Starts the shutdown clock and expires held events, so that the final commit moves past every event that
    /// can no longer take part in a sequence even when the last commit interval has not come round.
    func beginShutdown() {
        shutdownDeadline = ContinuousClock.now + configuration.shutdownTimeout
        logger.info(
            "stopping: flushing alerts and committing offsets",
            ["timeout_ms": Self.milliseconds(configuration.shutdownTimeout)])
        for lane in lanes.values {
            lane.expire(idleTimeout: configuration.idleTimeout)
        }
    }

    /// How long a flush may wait: the whole shutdown timeout outside shutdown, and during shutdown what is left of
    /// it minus a reserve for the final commit and leaving the group.
    var flushTimeout: Duration {
        guard let shutdownDeadline else { return configuration.shutdownTimeout }
        let reserve = min(configuration.shutdownTimeout / 4, .seconds(2))
        return max(shutdownDeadline - reserve - ContinuousClock.now, .zero)
    }
}
