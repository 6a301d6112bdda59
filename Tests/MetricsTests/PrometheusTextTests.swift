import Metrics
import Testing

@Suite("Prometheus text rendering")
struct PrometheusTextTests {
    @Test("HELP and TYPE precede the samples once")
    func helpAndTypeLines() {
        let family = MetricFamily(
            name: "eqlstream_late_events_total", help: "Events later than the allowed lateness.", type: .counter,
            samples: [MetricSample(7)])
        let text = PrometheusText.render([family])
        #expect(
            text == """
                # HELP eqlstream_late_events_total Events later than the allowed lateness.
                # TYPE eqlstream_late_events_total counter
                eqlstream_late_events_total 7

                """)
    }

    @Test("family without samples keeps its HELP and TYPE")
    func emptyFamily() {
        let family = MetricFamily(
            name: "eqlstream_consumer_lag_messages", help: "Lag.", type: .gauge, labelNames: ["topic", "partition"],
            samples: [])
        let lines = PrometheusText.render([family]).split(separator: "\n")
        #expect(lines == ["# HELP eqlstream_consumer_lag_messages Lag.", "# TYPE eqlstream_consumer_lag_messages gauge"])
    }

    @Test("labels follow the declared order")
    func labelOrder() {
        let family = MetricFamily(
            name: "eqlstream_events_consumed_total", help: "Consumed.", type: .counter,
            labelNames: ["topic", "partition"],
            samples: [MetricSample(["process-events", "3"], 12), MetricSample(["alpha", "10"], 1)])
        let lines = PrometheusText.render([family]).split(separator: "\n")
        #expect(lines[2] == #"eqlstream_events_consumed_total{topic="process-events",partition="3"} 12"#)
        #expect(lines[3] == #"eqlstream_events_consumed_total{topic="alpha",partition="10"} 1"#)
    }

    @Test("label values escape backslash, quote and line feed")
    func labelEscaping() {
        #expect(PrometheusText.escapeLabelValue(#"C:\Windows"#) == #"C:\\Windows"#)
        #expect(PrometheusText.escapeLabelValue(#"say "hi""#) == #"say \"hi\""#)
        #expect(PrometheusText.escapeLabelValue("two\nlines") == #"two\nlines"#)
        #expect(PrometheusText.escapeLabelValue("plain-π") == "plain-π")
        let family = MetricFamily(
            name: "eqlstream_alerts_produced_total", help: "Alerts.", type: .counter, labelNames: ["rule_id"],
            samples: [MetricSample(["a\\b\"c\nd"], 1)])
        let lines = PrometheusText.render([family]).split(separator: "\n")
        #expect(lines[2] == #"eqlstream_alerts_produced_total{rule_id="a\\b\"c\nd"} 1"#)
    }

    @Test("help escapes backslash and line feed but not quotes")
    func helpEscaping() {
        #expect(PrometheusText.escapeHelp("a \\ b\nc \"d\"") == #"a \\ b\nc "d""#)
        let family = MetricFamily(name: "x_total", help: "first\nsecond", type: .counter, samples: [])
        #expect(PrometheusText.render([family]).hasPrefix("# HELP x_total first\\nsecond\n"))
    }

    @Test("values use the format's spellings")
    func valueFormatting() {
        #expect(PrometheusText.format(0) == "0")
        #expect(PrometheusText.format(-3) == "-3")
        #expect(PrometheusText.format(1_234_567_890_123) == "1234567890123")
        #expect(PrometheusText.format(0.25) == "0.25")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
        #expect(PrometheusText.format(.nan) == "NaN")
    }

    @Test("histogram buckets are cumulative and end with +Inf")
    func histogramRendering() {
        var histogram = Histogram(upperBounds: [0.01, 0.1, 1])
        histogram.observe(0.005)
        histogram.observe(0.05)
        histogram.observe(0.07)
        histogram.observe(3)
        let family = MetricFamily(
            name: "eqlstream_commit_duration_seconds", help: "Commit latency.", histograms: [HistogramSample(histogram)])
        let lines = PrometheusText.render([family]).split(separator: "\n").map(String.init)
        #expect(lines[1] == "# TYPE eqlstream_commit_duration_seconds histogram")
        #expect(lines[2] == #"eqlstream_commit_duration_seconds_bucket{le="0.01"} 1"#)
        #expect(lines[3] == #"eqlstream_commit_duration_seconds_bucket{le="0.1"} 3"#)
        #expect(lines[4] == #"eqlstream_commit_duration_seconds_bucket{le="1"} 3"#)
        #expect(lines[5] == #"eqlstream_commit_duration_seconds_bucket{le="+Inf"} 4"#)
        #expect(lines[6] == "eqlstream_commit_duration_seconds_sum 3.125")
        #expect(lines[7] == "eqlstream_commit_duration_seconds_count 4")
        #expect(lines.count == 8)
    }

    @Test("histogram labels come before le")
    func histogramLabelOrder() {
        var histogram = Histogram(upperBounds: [1])
        histogram.observe(.milliseconds(1500))
        let family = MetricFamily(
            name: "x_seconds", help: "h", labelNames: ["kind"], histograms: [HistogramSample(["sync"], histogram)])
        let lines = PrometheusText.render([family]).split(separator: "\n").map(String.init)
        #expect(lines[2] == #"x_seconds_bucket{kind="sync",le="1"} 0"#)
        #expect(lines[3] == #"x_seconds_bucket{kind="sync",le="+Inf"} 1"#)
        #expect(lines[4] == #"x_seconds_sum{kind="sync"} 1.5"#)
    }

    @Test("metric and label names are checked")
    func nameValidation() {
        #expect(PrometheusText.isValidMetricName("eqlstream_events_consumed_total"))
        #expect(PrometheusText.isValidMetricName("ns:metric"))
        #expect(!PrometheusText.isValidMetricName("9lives"))
        #expect(!PrometheusText.isValidMetricName("has-dash"))
        #expect(!PrometheusText.isValidMetricName(""))
        #expect(PrometheusText.isValidLabelName("rule_id"))
        #expect(!PrometheusText.isValidLabelName("__reserved"))
        #expect(!PrometheusText.isValidLabelName("a:b"))
    }
}
