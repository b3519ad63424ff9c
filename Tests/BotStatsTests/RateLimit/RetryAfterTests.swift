import Foundation
import Testing
@testable import BotStats
@testable import BotStatsProtocol

/// Tue, 14 Nov 2023 22:13:20 GMT.
private let reference = Date(timeIntervalSince1970: 1_700_000_000)

struct RetryAfterTests {
    @Test(arguments: [
        ("120", Duration.seconds(120)),
        ("1.5", .milliseconds(1500)),
        ("0.001", .milliseconds(1)),
        (".5", .milliseconds(500)),
        ("2.", .seconds(2)),
        ("007", .seconds(7)),
        (" 30 ", .seconds(30)),
        ("\t45", .seconds(45)),
        // Beyond nine fractional digits the rest is dropped, not rounded into overflow.
        ("0.1234567899", .nanoseconds(123_456_789)),
        // RetryAfter itself does not cap; RateLimitParser does.
        ("99999999999", .seconds(99_999_999_999)),
        ("9223372036854775807", .seconds(Int64.max)),
    ])
    func deltaSecondsAreReadExactly(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, reference: reference) == expected)
    }

    @Test func retryAfterZeroIsAZeroWaitNotMissing() {
        #expect(RetryAfter.parse("0", reference: reference) == .zero)
        #expect(RetryAfter.parse("0.0", reference: reference) == .zero)
    }

    @Test(arguments: [
        ("Tue, 14 Nov 2023 22:14:50 GMT", Duration.seconds(90)),
        ("Tuesday, 14-Nov-23 22:14:50 GMT", .seconds(90)),
        ("Tue Nov 14 22:14:50 2023", .seconds(90)),
        ("Wed, 15 Nov 2023 22:13:20 GMT", .seconds(86_400)),
    ])
    func httpDatesAreMeasuredFromTheReference(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, reference: reference) == expected)
    }

    @Test(arguments: [
        "Tue, 14 Nov 2023 22:13:19 GMT",
        "Tue, 14 Nov 2023 22:13:20 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT",
    ])
    func anHTTPDateAtOrBeforeTheReferenceIsAZeroWait(value: String) {
        #expect(RetryAfter.parse(value, reference: reference) == .zero)
    }

    @Test func aFractionalReferenceGivesAFractionalWait() {
        let later = reference.addingTimeInterval(0.25)
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:13:21 GMT", reference: later) == .milliseconds(750))
    }

    @Test(arguments: [
        "", "   ", "-1", "-0", "-1.5", "abc", "NaN", "nan", "inf", "Infinity", "-inf",
        "1e3", "+5", "1.2.3", ".", "0x10", "12abc", "1,5", "１２",
        "-99999999999999999999", "99999999999999999999x",
        "Tue, 32 Nov 2023 22:14:50 GMT",
    ])
    func garbageAndNegativeValuesAreNil(value: String) {
        #expect(RetryAfter.parse(value, reference: reference) == nil)
    }

    /// RFC 9110's `delay-seconds` is `1*DIGIT`: a value too large for 64 bits is valid and asks for
    /// the longest wait there is, so it saturates (the parser then caps it) instead of being dropped.
    @Test(arguments: ["99999999999999999999", "9223372036854775808", "99999999999999999999.5", " 123456789012345678901234567890 "])
    func overflowingDeltaSecondsSaturate(value: String) {
        #expect(RetryAfter.parse(value, reference: reference) == .seconds(Int64.max))
    }
}
