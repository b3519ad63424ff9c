/// Parses and prints configuration durations: `"500ms"`, `"90s"`, `"15m"`, `"1h"`, `"1h30m"`, `"2d"`.
///
/// A duration is one or more components, each a whole number followed by a unit — `d`, `h`, `m`,
/// `s` or `ms` — with the units largest first and each at most once (`"1h30m"`, not `"30m1h"` or
/// `"1h1h"`). Fractions (`"1.5h"`), signs, spaces, upper-case units and the empty string are
/// rejected, so a duration in a configuration file reads one way only. `"0s"` parses; callers
/// enforce their own minimum. Anything longer than ``maximum`` is rejected as an overflow, so every
/// parsed value fits in `Int64` nanoseconds wherever it ends up.
package enum DurationParser {
    /// The longest duration `parse(_:)` accepts: 100 years of 365 days, well inside `Int64` nanoseconds.
    package static let maximum: Duration = .milliseconds(maximumMilliseconds)

    private static let maximumMilliseconds: Int64 = 100 * 365 * 86_400 * 1000

    /// Units largest first, with their size in milliseconds.
    private static let units: [(name: Substring, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// The duration `text` means, or nil when it is not a duration this parser accepts.
    package static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        var previousUnit = -1
        while !rest.isEmpty {
            let digits = rest.prefix { ("0"..."9").contains($0) }
            // 18 digits always fit in Int64; anything longer is an overflow anyway.
            guard !digits.isEmpty, digits.count <= 18, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitName = rest.prefix { ("a"..."z").contains($0) }
            guard let unit = units.firstIndex(where: { $0.name == unitName }), unit > previousUnit else { return nil }
            rest = rest.dropFirst(unitName.count)
            previousUnit = unit
            let size = units[unit].milliseconds
            guard amount <= (maximumMilliseconds - total) / size else { return nil }
            total += amount * size
        }
        return .milliseconds(total)
    }

    /// `duration` written the way `parse(_:)` reads it, largest unit first: `1h30m`, `500ms`, `2d`.
    ///
    /// Zero is `0s`; a part below one millisecond is rounded up to a whole millisecond, and a
    /// negative duration gets a leading `-` (for messages only: `parse(_:)` rejects it).
    package static func format(_ duration: Duration) -> String {
        if duration < .zero { return "-" + format(.zero - duration) }
        let (wholeSeconds, attoseconds) = duration.components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        var seconds = wholeSeconds
        var milliseconds = attoseconds / attosecondsPerMillisecond
        if attoseconds % attosecondsPerMillisecond != 0 { milliseconds += 1 }
        if milliseconds == 1000 {
            milliseconds = 0
            seconds += 1
        }
        var parts: [String] = []
        for (name, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60), ("s", 1)] where seconds >= size {
            parts.append("\(seconds / size)\(name)")
            seconds %= size
        }
        if milliseconds > 0 { parts.append("\(milliseconds)ms") }
        return parts.isEmpty ? "0s" : parts.joined()
    }
}
