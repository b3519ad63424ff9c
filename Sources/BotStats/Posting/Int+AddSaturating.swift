import BotStatsProtocol

extension Int {
    /// Adds `other`, stopping at `Int.max` or `Int.min` instead of trapping: counters restored from
    /// a state file may start anywhere.
    mutating func addSaturating(_ other: Int) {
        let (sum, overflow) = addingReportingOverflow(other)
        self = overflow ? (other > 0 ? .max : .min) : sum
    }
}
