/// Parses configuration durations: `"500ms"`, `"90s"`, `"15m"`, `"1h"`, `"1h30m"`, `"2d"`.
///
/// Components are whole numbers with a unit (`d`, `h`, `m`, `s`, `ms`), largest unit first, each
/// unit at most once. Fractions (`"1.5h"`), signs, spaces and empty strings are rejected: a
/// duration in a config file should read one way only.
public enum DurationParser {
    private static let units: [(name: String, attoseconds: Duration)] = [
        ("d", .seconds(86400)), ("h", .seconds(3600)), ("m", .seconds(60)), ("s", .seconds(1)), ("ms", .milliseconds(1)),
    ]

    /// The duration `text` means, or nil when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total = Duration.zero
        var lastUnitIndex = -1
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 12, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0.isASCII && $0.isLetter }
            guard let index = units.firstIndex(where: { $0.name == unitText }), index > lastUnitIndex else { return nil }
            rest = rest.dropFirst(unitText.count)
            lastUnitIndex = index
            total += units[index].attoseconds * amount
        }
        return total
    }
}
