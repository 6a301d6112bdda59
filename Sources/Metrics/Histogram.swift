/// A cumulative histogram with fixed upper bounds, as Prometheus histograms count observations.
///
/// A value type: the owner observes on its own thread and hands copies to readers.
public struct Histogram: Sendable, Equatable {
    /// Upper bounds of the buckets, ascending; the `+Inf` bucket is implied.
    public let upperBounds: [Double]
    /// Observations per bucket, not cumulative; the last element counts those above every bound.
    private(set) var bucketCounts: [Int]
    public private(set) var sum: Double = 0
    public private(set) var count = 0

    public init(upperBounds: [Double]) {
        precondition(zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 }, "bucket bounds must ascend")
        self.upperBounds = upperBounds
        self.bucketCounts = Array(repeating: 0, count: upperBounds.count + 1)
    }

    public mutating func observe(_ value: Double) {
        let index = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
        bucketCounts[index] += 1
        sum += value
        count += 1
    }

    public mutating func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Observations at or below each bound, then the total for `+Inf`.
    public var cumulativeCounts: [Int] {
        var running = 0
        return bucketCounts.map { count in
            running += count
            return running
        }
    }

    /// Bounds for durations of network round trips, in seconds: 1 ms to 10 s.
    public static let latencyBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
}
