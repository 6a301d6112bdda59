/// Renders metric families in the Prometheus text exposition format, version 0.0.4.
///
/// Each family gets one `# HELP` and one `# TYPE` line, then its samples with labels in the family's label order.
/// Help text escapes backslash and line feed; label values also escape the double quote.
public enum PrometheusText {
    /// The `Content-Type` of a response that carries this format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ families: [MetricFamily]) -> String {
        var output = ""
        for family in families {
            output += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            output += "# TYPE \(family.name) \(family.type.rawValue)\n"
            for sample in family.samples {
                output += line(family.name, names: family.labelNames, values: sample.labelValues, value: sample.value)
            }
            for series in family.histograms {
                let histogram = series.histogram
                let names = family.labelNames + ["le"]
                let bounds = histogram.upperBounds.map(format) + ["+Inf"]
                for (bound, count) in zip(bounds, histogram.cumulativeCounts) {
                    output += line(
                        family.name + "_bucket", names: names, values: series.labelValues + [bound], value: Double(count))
                }
                output += line(family.name + "_sum", names: family.labelNames, values: series.labelValues, value: histogram.sum)
                output += line(
                    family.name + "_count", names: family.labelNames, values: series.labelValues,
                    value: Double(histogram.count))
            }
        }
        return output
    }

    private static func line(_ name: String, names: [String], values: [String], value: Double) -> String {
        guard !names.isEmpty else { return "\(name) \(format(value))\n" }
        let labels = zip(names, values).map { "\($0)=\"\(escapeLabelValue($1))\"" }.joined(separator: ",")
        return "\(name){\(labels)} \(format(value))\n"
    }

    /// Escapes help text: backslash and line feed.
    public static func escapeHelp(_ text: String) -> String {
        escape(text, quotes: false)
    }

    /// Escapes a label value: backslash, double quote and line feed.
    public static func escapeLabelValue(_ text: String) -> String {
        escape(text, quotes: true)
    }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var output = ""
        for character in text {
            switch character {
            case "\\": output += "\\\\"
            case "\"" where quotes: output += "\\\""
            case "\n": output += "\\n"
            default: output.append(character)
            }
        }
        return output
    }

    /// Formats a sample value: whole numbers without a fraction, `+Inf`, `-Inf` and `NaN` as the format spells them.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Returns whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLetter(first) || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" || $0 == ":" }
    }

    /// Returns whether `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with the reserved `__`.
    public static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, isLetter(first) || first == "_", !name.hasPrefix("__") else {
            return false
        }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }
}
