import Testing

@testable import BotStats
@testable import BotStatsProtocol

struct DurationParserTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("90s", .seconds(90)),
        ("15m", .seconds(900)),
        ("1h", .seconds(3600)),
        ("1h30m", .seconds(5400)),
        ("2d", .seconds(172_800)),
        ("1d2h3m4s5ms", .seconds(93_784) + .milliseconds(5)),
        ("1m500ms", .milliseconds(60_500)),
        ("0s", .zero),
        ("007s", .seconds(7)),
        ("36500d", .seconds(36_500 * 86_400)),
    ])
    func parsesWholeComponentsLargestFirst(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: [
        "", "1.5h", "-1s", "+1s", "1H", "1 h", " 1h", "1h ", "h", "10", "30m1h", "1h1h", "1ms1s", "1w", "1hr",
        "1s1", "ms", "1h-30m", "1e3s", "١s",
        // Overflow: more than 100 years, or more digits than any Int64 holds.
        "36501d", "36500d1ms", "99999999999999999999s", "999999999999999999ms1",
    ])
    func rejectsAnythingElse(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func maximumIsTheLongestAcceptedDuration() {
        #expect(DurationParser.parse("36500d") == DurationParser.maximum)
        #expect(DurationParser.parse(DurationParser.format(DurationParser.maximum + .milliseconds(1))) == nil)
    }

    @Test(arguments: [
        (Duration.milliseconds(500), "500ms"),
        (.seconds(5400), "1h30m"),
        (.zero, "0s"),
        (.seconds(172_800), "2d"),
        (.milliseconds(1500), "1s500ms"),
        (.seconds(93_784) + .milliseconds(5), "1d2h3m4s5ms"),
        (.nanoseconds(1), "1ms"),
        (.nanoseconds(999_999_999), "1s"),
        (.seconds(-90), "-1m30s"),
    ])
    func formatsLargestUnitFirst(duration: Duration, expected: String) {
        #expect(DurationParser.format(duration) == expected)
    }

    @Test(arguments: ["500ms", "1m30s", "15m", "1h", "1h30m", "2d", "1d2h3m4s5ms", "0s"])
    func formatReadsBackToTheSameDuration(text: String) throws {
        let duration = try #require(DurationParser.parse(text))
        #expect(DurationParser.parse(DurationParser.format(duration)) == duration)
        #expect(DurationParser.format(duration) == text)
    }
}
