import FoundationEssentials
import BotStatsProtocol

/// The HTTP-date of RFC 9110 §5.6.7, read by hand.
///
/// `DateFormatter` is avoided on purpose: it depends on the process locale and time-zone
/// database, is slow to build, and silently accepts malformed input; a rate-limit wait
/// must come out the same on every machine.
package enum HTTPDate {
    /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), an obsolete RFC 850 date
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) or an asctime date (`Sun Nov  6 08:49:37 1994`).
    ///
    /// Returns nil for anything else, including impossible fields (`Foo` as a month,
    /// 31 February, hour 24). Names are matched case-insensitively and runs of spaces are
    /// tolerated, because lists' hand-rolled servers are sloppy and refusing a date means
    /// ignoring a wait the list asked for. The weekday must be a real weekday name but is
    /// not checked against the date, for the same reason. A two-digit RFC 850 year is read
    /// against today's year.
    package static func parse(_ s: String) -> Date? {
        parse(s, relativeTo: Date())
    }

    /// Like ``parse(_:)``, with the moment that resolves an RFC 850 two-digit year given
    /// explicitly so the result does not depend on when it runs.
    package static func parse(_ s: String, relativeTo now: Date) -> Date? {
        let tokens = s.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = tokens.first else { return nil }
        let fields: Fields?
        if first.hasSuffix(",") {
            let weekday = first.dropLast()
            if tokens.count == 6, isShortWeekday(weekday) {
                fields = imfFixdate(tokens)
            } else if tokens.count == 4, isLongWeekday(weekday) {
                fields = rfc850(tokens, currentYear: civilYear(of: now))
            } else {
                fields = nil
            }
        } else if tokens.count == 5, isShortWeekday(first) {
            fields = asctime(tokens)
        } else {
            fields = nil
        }
        guard let fields, fields.isValid else { return nil }
        let days = daysFromCivil(year: fields.year, month: fields.month, day: fields.day)
        let seconds = days * 86_400 + Int64(fields.hour * 3600 + fields.minute * 60 + fields.second)
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    // MARK: - The three layouts

    private struct Fields {
        var year: Int64
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int

        var isValid: Bool {
            (1...12).contains(month)
                && day >= 1 && day <= HTTPDate.daysIn(month: month, year: year)
                && (0...23).contains(hour)
                && (0...59).contains(minute)
                // 60 is a leap second (RFC 5322 allows it); it simply rolls into the next minute.
                && (0...60).contains(second)
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func imfFixdate(_ t: [Substring]) -> Fields? {
        guard let day = digits(t[1], count: 1...2),
            let month = month(t[2]),
            let year = digits(t[3], count: 4...4),
            let time = timeOfDay(t[4]),
            isGMT(t[5])
        else { return nil }
        return Fields(year: Int64(year), month: month, day: day, hour: time.0, minute: time.1, second: time.2)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func rfc850(_ t: [Substring], currentYear: Int64) -> Fields? {
        let parts = t[1].split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let day = digits(parts[0], count: 1...2),
            let month = month(parts[1]),
            let shortYear = digits(parts[2], count: 2...2),
            let time = timeOfDay(t[2]),
            isGMT(t[3])
        else { return nil }
        // RFC 9110: a two-digit year more than 50 years ahead is the past century's. Read as a
        // window sliding with today (years -49...+50), so late in a century `05` still means
        // the coming one rather than 95 years ago.
        var year = currentYear - currentYear % 100 + Int64(shortYear)
        if year - currentYear > 50 {
            year -= 100
        } else if year - currentYear <= -50 {
            year += 100
        }
        return Fields(year: year, month: month, day: day, hour: time.0, minute: time.1, second: time.2)
    }

    /// `Sun Nov  6 08:49:37 1994`
    private static func asctime(_ t: [Substring]) -> Fields? {
        guard let month = month(t[1]),
            let day = digits(t[2], count: 1...2),
            let time = timeOfDay(t[3]),
            let year = digits(t[4], count: 4...4)
        else { return nil }
        return Fields(year: Int64(year), month: month, day: day, hour: time.0, minute: time.1, second: time.2)
    }

    // MARK: - Pieces

    private static let shortWeekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let longWeekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func isShortWeekday(_ s: Substring) -> Bool { shortWeekdays.contains(s.lowercased()) }
    private static func isLongWeekday(_ s: Substring) -> Bool { longWeekdays.contains(s.lowercased()) }
    private static func isGMT(_ s: Substring) -> Bool { s.lowercased() == "gmt" }

    private static func month(_ s: Substring) -> Int? {
        months.firstIndex(of: s.lowercased()).map { $0 + 1 }
    }

    /// `HH:MM:SS`, each exactly two digits.
    private static func timeOfDay(_ s: Substring) -> (Int, Int, Int)? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let h = digits(parts[0], count: 2...2),
            let m = digits(parts[1], count: 2...2),
            let sec = digits(parts[2], count: 2...2)
        else { return nil }
        return (h, m, sec)
    }

    /// ASCII digits only: `Int(_:)` would also take a sign, which no date field has.
    private static func digits(_ s: Substring, count: ClosedRange<Int>) -> Int? {
        let bytes = s.utf8
        guard count.contains(bytes.count) else { return nil }
        var value = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
        }
        return value
    }

    private static func isLeap(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    fileprivate static func daysIn(month: Int, year: Int64) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`), which needs no calendar tables or time-zone data.
    static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The Gregorian year of `date` in UTC (the inverse of `daysFromCivil`, year only).
    static func civilYear(of date: Date) -> Int64 {
        let interval = date.timeIntervalSince1970
        // Beyond any real clock; only keeps the conversion below from trapping.
        guard interval.isFinite, abs(interval) < 1e15 else { return 1970 }
        let z = Int64((interval / 86_400).rounded(.down)) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return yoe + era * 400 + (month <= 2 ? 1 : 0)
    }
}
