extension Int64 {
    /// Returns `self - other`, clamped to `Int64.min...Int64.max` instead of trapping. Event times come from input,
    /// so an extreme timestamp must not crash the service.
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return result }
        return other > 0 ? .min : .max
    }

    /// Returns `self + other`, clamped to `Int64.min...Int64.max` instead of trapping.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (result, overflow) = addingReportingOverflow(other)
        guard overflow else { return result }
        return other > 0 ? .max : .min
    }
}
