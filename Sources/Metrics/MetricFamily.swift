/// The metric types of the Prometheus text exposition format.
public enum MetricType: String, Sendable {
    case counter
    case gauge
    case histogram
}

/// One sample line: label values in the family's label order and a value.
public struct MetricSample: Sendable, Equatable {
    public var labelValues: [String]
    public var value: Double

    public init(_ labelValues: [String], _ value: Double) {
        self.labelValues = labelValues
        self.value = value
    }

    public init(_ labelValues: [String], _ value: Int) {
        self.init(labelValues, Double(value))
    }

    /// Creates the sample of a family without labels.
    public init(_ value: Double) {
        self.init([], value)
    }

    /// Creates the sample of a family without labels.
    public init(_ value: Int) {
        self.init([], Double(value))
    }
}

/// A histogram series: label values in the family's label order and the observed distribution.
public struct HistogramSample: Sendable {
    public var labelValues: [String]
    public var histogram: Histogram

    public init(_ labelValues: [String], _ histogram: Histogram) {
        self.labelValues = labelValues
        self.histogram = histogram
    }

    /// Creates the series of a family without labels.
    public init(_ histogram: Histogram) {
        self.init([], histogram)
    }
}

/// A metric family: one name, its help text and type, and its series.
///
/// Every sample carries one value per label name, in the same order, and the renderer writes labels in that order.
public struct MetricFamily: Sendable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var labelNames: [String]
    public var samples: [MetricSample]
    public var histograms: [HistogramSample]

    /// Creates a counter or gauge family.
    public init(name: String, help: String, type: MetricType, labelNames: [String] = [], samples: [MetricSample]) {
        precondition(type != .histogram, "histogram families take HistogramSample values")
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name \(name)")
        precondition(labelNames.allSatisfy(PrometheusText.isValidLabelName), "invalid label name in \(labelNames)")
        precondition(
            samples.allSatisfy { $0.labelValues.count == labelNames.count },
            "every sample of \(name) needs one value for each of \(labelNames)")
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.samples = samples
        self.histograms = []
    }

    /// Creates a histogram family. The label `le` is reserved for bucket bounds.
    public init(name: String, help: String, labelNames: [String] = [], histograms: [HistogramSample]) {
        precondition(PrometheusText.isValidMetricName(name), "invalid metric name \(name)")
        precondition(labelNames.allSatisfy(PrometheusText.isValidLabelName), "invalid label name in \(labelNames)")
        precondition(!labelNames.contains("le"), "the label le is reserved for histogram buckets")
        precondition(
            histograms.allSatisfy { $0.labelValues.count == labelNames.count },
            "every series of \(name) needs one value for each of \(labelNames)")
        self.name = name
        self.help = help
        self.type = .histogram
        self.labelNames = labelNames
        self.samples = []
        self.histograms = histograms
    }
}
