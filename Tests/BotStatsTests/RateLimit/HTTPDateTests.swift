import Foundation
import Testing
@testable import BotStats
@testable import BotStatsProtocol

/// 2023-11-14 22:13:20 GMT, a Tuesday: fixes the RFC 850 century so results never drift.
private let november2023 = Date(timeIntervalSince1970: 1_700_000_000)

private func epoch(_ s: String, now: Date = november2023) -> Int? {
    HTTPDate.parse(s, relativeTo: now).map { Int($0.timeIntervalSince1970) }
}

struct HTTPDateTests {
    @Test(arguments: [
        // RFC 9110's own three examples of one moment.
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        // asctime with a two-digit day has a single space.
        ("Tue Nov 14 22:13:20 2023", 1_700_000_000),
        ("Tue, 14 Nov 2023 22:13:20 GMT", 1_700_000_000),
        ("Tuesday, 14-Nov-23 22:13:20 GMT", 1_700_000_000),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
        ("Thu, 29 Feb 2024 00:00:00 GMT", 1_709_164_800),
        ("Wed, 01 Mar 2000 00:00:00 GMT", 951_868_800),
        ("Fri, 31 Dec 9999 00:00:00 GMT", 253_402_214_400),
        // A leap second rolls over into the next day rather than being refused.
        ("Mon, 13 Nov 2023 23:59:60 GMT", 1_699_920_000),
        // Sloppy servers: lowercase names, doubled spaces, surrounding spaces.
        ("sun, 06 nov 1994 08:49:37 gmt", 784_111_777),
        ("  Sun,  06 Nov 1994  08:49:37 GMT ", 784_111_777),
        // The weekday is not cross-checked: the wrong name still yields the stated date.
        ("Mon, 06 Nov 1994 08:49:37 GMT", 784_111_777),
    ])
    func validDatesParseToTheirEpoch(input: String, expected: Int) {
        #expect(epoch(input) == expected)
    }

    @Test(arguments: [
        "",
        "   ",
        "garbage",
        "1700000000",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT",
        "Wed, 29 Feb 2023 00:00:00 GMT",
        "Thu, 29 Feb 1900 00:00:00 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:37 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 06 Nov 1994 08:49:37",
        "Sux, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06-Nov 94 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94",
        "Sun Foo  6 08:49:37 1994",
        "Sun Nov 31 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 GMT extra",
    ])
    func invalidDatesAreRejected(input: String) {
        #expect(HTTPDate.parse(input, relativeTo: november2023) == nil)
    }

    @Test(arguments: [
        // (two-digit year, current year, year it must mean)
        ("94", 2026, 1994),
        ("26", 2026, 2026),
        ("76", 2026, 2076),
        ("77", 2026, 1977),
        ("00", 2026, 2000),
        ("05", 2090, 2105),
        ("40", 2090, 2140),
        ("41", 2090, 2041),
    ])
    func rfc850TwoDigitYearMoreThanFiftyYearsAheadIsThePastCentury(short: String, currentYear: Int, expected: Int) throws {
        let now = Date(timeIntervalSince1970: TimeInterval(HTTPDate.daysFromCivil(year: Int64(currentYear), month: 6, day: 1) * 86_400))
        let parsed = try #require(HTTPDate.parse("Monday, 01-Jan-\(short) 00:00:00 GMT", relativeTo: now))
        let expectedDays = HTTPDate.daysFromCivil(year: Int64(expected), month: 1, day: 1)
        #expect(Int64(parsed.timeIntervalSince1970) == expectedDays * 86_400)
    }

    @Test(arguments: [
        (Int64(1970), 1, 1, Int64(0)),
        (1969, 12, 31, -1),
        (2000, 3, 1, 11_017),
        (1600, 1, 1, -135_140),
        (2400, 2, 29, 157_113),
    ])
    func daysFromCivilMatchesTheGregorianCalendar(year: Int64, month: Int, day: Int, expected: Int64) {
        #expect(HTTPDate.daysFromCivil(year: year, month: month, day: day) == expected)
    }

    @Test func civilYearIsTheInverseOfDaysFromCivil() {
        for year: Int64 in [1970, 1999, 2000, 2023, 2024, 2099, 2100] {
            for (month, day) in [(1, 1), (12, 31)] {
                let date = Date(timeIntervalSince1970: TimeInterval(HTTPDate.daysFromCivil(year: year, month: month, day: day) * 86_400 + 43_200))
                #expect(HTTPDate.civilYear(of: date) == year)
            }
        }
    }

    @Test func parseWithoutReferenceUsesTheCurrentCentury() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT")?.timeIntervalSince1970 == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT")?.timeIntervalSince1970 == 784_111_777)
    }
}
