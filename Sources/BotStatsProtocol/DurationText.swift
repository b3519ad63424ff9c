import FoundationEssentials

/// Short human durations for logs and status lines: `42m`, `1h5m`, `500ms`.
package enum DurationText {
    /// `duration` exactly, as a configuration file would write it (`1h30m`, `90ms`); zero or less is `0s`.
    package static func format(_ duration: Duration) -> String {
        DurationParser.format(max(duration, .zero))
    }

    /// `duration` rounded up to whole seconds and written as `2d3h`, `1h5m`, `42m`, `7s`.
    package static func format(roundedToSeconds duration: Duration) -> String {
        var total = max(0, Int64(duration.seconds.rounded(.up)))
        if total == 0 { return "0s" }
        var parts: [String] = []
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where total >= size {
            parts.append("\(total / size)\(unit)")
            total %= size
        }
        return parts.prefix(2).joined()
    }
}
