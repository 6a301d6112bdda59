/// The order EQL gives values, for callers outside the module such as sequence tiebreakers.
public enum EQLValueOrder {
    /// Returns a negative number, zero or a positive number, or `nil` when the values have no common order.
    /// Numbers compare numerically, strings by code point; values of other kinds have no order.
    public static func compare(_ left: EQLValue, _ right: EQLValue) -> Int? {
        ValueComparison.compare(left, right)
    }
}
