import Foundation
import Logging
import Synchronization
import Testing
@testable import BotStats
@testable import BotStatsProtocol

/// Tue, 14 Nov 2023 22:13:20 GMT: the local clock in every row unless a row says otherwise.
private let now = Date(timeIntervalSince1970: 1_700_000_000)
private let nowHTTP = "Tue, 14 Nov 2023 22:13:20 GMT"
private let sixHours = RateLimitReading.cap

/// One response and the reading it must produce.
struct RateLimitParserCase: Sendable, CustomTestStringConvertible {
    var name: String
    var status = 200
    var headers: [(name: String, value: String)] = []
    var body = ""
    var localNow = now
    var expected: RateLimitReading

    var testDescription: String { name }
}

private func reading(
    limit: Int? = nil,
    remaining: Int? = nil,
    resetIn: Duration? = nil,
    wait: Duration? = nil
) -> RateLimitReading {
    RateLimitReading(limit: limit, remaining: remaining, resetIn: resetIn, requiredWait: wait)
}

private func parse(_ c: RateLimitParserCase, logger: Logger = Logger(label: "test")) -> RateLimitReading {
    RateLimitParser.parse(status: c.status, headers: c.headers, body: Array(c.body.utf8), localNow: c.localNow, logger: logger)
}

struct RateLimitParserTests {
    // MARK: - Retry-After

    static let retryAfterRows: [RateLimitParserCase] = [
        RateLimitParserCase(name: "delta seconds", status: 429, headers: [("Retry-After", "120")], expected: reading(wait: .seconds(120))),
        RateLimitParserCase(name: "fractional seconds", status: 429, headers: [("Retry-After", "1.5")], expected: reading(wait: .milliseconds(1500))),
        RateLimitParserCase(
            name: "IMF-fixdate", status: 429, headers: [("Date", nowHTTP), ("Retry-After", "Tue, 14 Nov 2023 22:14:50 GMT")],
            expected: reading(wait: .seconds(90))),
        RateLimitParserCase(
            name: "RFC 850 date", status: 429, headers: [("Date", nowHTTP), ("Retry-After", "Tuesday, 14-Nov-23 22:14:50 GMT")],
            expected: reading(wait: .seconds(90))),
        RateLimitParserCase(
            name: "asctime date", status: 429, headers: [("Date", nowHTTP), ("Retry-After", "Tue Nov 14 22:14:50 2023")], expected: reading(wait: .seconds(90))),
        RateLimitParserCase(
            name: "HTTP-date in the past", status: 429, headers: [("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")], expected: reading(wait: .zero)),
        RateLimitParserCase(name: "zero is a zero wait", status: 429, headers: [("Retry-After", "0")], expected: reading(wait: .zero)),
        RateLimitParserCase(name: "lowercase name", status: 429, headers: [("retry-after", "7")], expected: reading(wait: .seconds(7))),
        RateLimitParserCase(name: "uppercase name", status: 429, headers: [("RETRY-AFTER", "7")], expected: reading(wait: .seconds(7))),
        RateLimitParserCase(name: "honoured on a 503", status: 503, headers: [("Retry-After", "15")], expected: reading(wait: .seconds(15))),
        RateLimitParserCase(name: "honoured on Cloudflare's 522", status: 522, headers: [("Retry-After", "15")], expected: reading(wait: .seconds(15))),
        RateLimitParserCase(
            name: "first parseable duplicate wins", status: 429, headers: [("Retry-After", "abc"), ("Retry-After", "30"), ("Retry-After", "60")],
            expected: reading(wait: .seconds(30))),
    ]

    @Test(arguments: retryAfterRows)
    func retryAfterDialects(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    // MARK: - X-RateLimit-*

    static let xRateLimitRows: [RateLimitParserCase] = [
        RateLimitParserCase(
            name: "reset as delta seconds", headers: [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")],
            expected: reading(limit: 5, remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "reset as epoch seconds", headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000045")],
            expected: reading(remaining: 0, resetIn: .seconds(45), wait: .seconds(45))),
        RateLimitParserCase(
            name: "reset as epoch milliseconds", headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000045000")],
            expected: reading(remaining: 0, resetIn: .seconds(45), wait: .seconds(45))),
        RateLimitParserCase(
            name: "reset as fractional epoch seconds", headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000045.5")],
            expected: reading(remaining: 0, resetIn: .milliseconds(45_500), wait: .milliseconds(45_500))),
        RateLimitParserCase(
            name: "reset as fractional epoch milliseconds",
            headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000000250.5")],
            expected: reading(remaining: 0, resetIn: .microseconds(250_500), wait: .microseconds(250_500))),
        RateLimitParserCase(
            name: "epoch reset in the past is zero, never negative",
            headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1699999000")],
            expected: reading(remaining: 0, resetIn: .zero, wait: .zero)),
        RateLimitParserCase(
            name: "just under 1e8 is a delta (capped)", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "99999999")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "1e8 is an epoch (1973, past)", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "100000000")],
            expected: reading(remaining: 0, resetIn: .zero, wait: .zero)),
        RateLimitParserCase(
            name: "just under 1e11 is epoch seconds (year 5138, capped)", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "99999999999")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "1e11 is epoch milliseconds (1973, past)", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "100000000000")],
            expected: reading(remaining: 0, resetIn: .zero, wait: .zero)),
        RateLimitParserCase(
            name: "remaining left on a 2xx asks for no wait", headers: [("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", "30")],
            expected: reading(remaining: 3, resetIn: .seconds(30))),
        RateLimitParserCase(
            name: "a 429 waits for the reset even with remaining left", status: 429, headers: [("X-RateLimit-Remaining", "3"), ("X-RateLimit-Reset", "30")],
            expected: reading(remaining: 3, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "reset-after when exhausted", headers: [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "2.5")],
            expected: reading(limit: 5, remaining: 0, resetIn: .milliseconds(2500), wait: .milliseconds(2500))),
        RateLimitParserCase(
            name: "reset-after with remaining left", headers: [("X-RateLimit-Remaining", "2"), ("X-RateLimit-Reset-After", "2.5")],
            expected: reading(remaining: 2, resetIn: .milliseconds(2500))),
        RateLimitParserCase(
            name: "reset-after on a 429 without remaining", status: 429, headers: [("X-RateLimit-Reset-After", "4")],
            expected: reading(resetIn: .seconds(4), wait: .seconds(4))),
        // X-RateLimit-Global says whose limit it is, not how long to wait: the wait is Retry-After's.
        RateLimitParserCase(
            name: "global true", status: 429, headers: [("X-RateLimit-Global", "true"), ("Retry-After", "1")], expected: reading(wait: .seconds(1))),
        RateLimitParserCase(name: "global alone asks for no wait", headers: [("x-ratelimit-global", "True")], expected: reading()),
        RateLimitParserCase(name: "global false", headers: [("X-RateLimit-Global", "false")], expected: reading()),
        RateLimitParserCase(name: "folded duplicate remaining takes the first", headers: [("X-RateLimit-Remaining", "0, 5")], expected: reading(remaining: 0)),
        RateLimitParserCase(
            name: "separate duplicate lines take the first", headers: [("X-RateLimit-Limit", "10"), ("x-ratelimit-limit", "20")], expected: reading(limit: 10)),
    ]

    @Test(arguments: xRateLimitRows)
    func xRateLimitDialect(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    // MARK: - IETF

    static let ietfRows: [RateLimitParserCase] = [
        RateLimitParserCase(
            name: "split fields exhausted", headers: [("RateLimit-Limit", "100"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "30")],
            expected: reading(limit: 100, remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "split fields with remaining left", headers: [("RateLimit-Limit", "100"), ("RateLimit-Remaining", "5"), ("RateLimit-Reset", "30")],
            expected: reading(limit: 100, remaining: 5, resetIn: .seconds(30))),
        RateLimitParserCase(
            name: "older draft's limit list with window parameter", headers: [("RateLimit-Limit", "100, 100;w=60")], expected: reading(limit: 100)),
        RateLimitParserCase(
            name: "draft-07 structured field with policy", headers: [("RateLimit", "\"default\";r=0;t=30"), ("RateLimit-Policy", "\"default\";q=100;w=60")],
            expected: reading(limit: 100, remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "draft-07 parameters reordered with spaces",
            headers: [("ratelimit", " \"default\" ; t=30 ; r=0 "), ("RateLimit-Policy", "\"default\"; w=60; q=100")],
            expected: reading(limit: 100, remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "draft-07 token name and quoted values", headers: [("RateLimit", "default;r=\"0\";t=\"12\"")],
            expected: reading(remaining: 0, resetIn: .seconds(12), wait: .seconds(12))),
        RateLimitParserCase(
            name: "draft-07 the exhausted item binds, not the larger one", headers: [("RateLimit", "\"burst\";r=0;t=5, \"day\";r=900;t=3600")],
            expected: reading(remaining: 0, resetIn: .seconds(5), wait: .seconds(5))),
        RateLimitParserCase(
            name: "draft-07 policy matched by name",
            headers: [("RateLimit", "\"burst\";r=0;t=5"), ("RateLimit-Policy", "\"day\";q=1000;w=86400, \"burst\";q=10;w=1")],
            expected: reading(limit: 10, remaining: 0, resetIn: .seconds(5), wait: .seconds(5))),
        RateLimitParserCase(
            name: "draft-07 with remaining left", headers: [("RateLimit", "\"default\";r=40;t=30")], expected: reading(remaining: 40, resetIn: .seconds(30))),
        RateLimitParserCase(
            name: "older dictionary form", headers: [("RateLimit", "limit=100, remaining=0, reset=30")],
            expected: reading(limit: 100, remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "older dictionary reordered with spaces", headers: [("RateLimit", "reset = 30 ,remaining=0,  limit=100")],
            expected: reading(limit: 100, remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "older policy as a bare integer", headers: [("RateLimit", "\"default\";r=0;t=9"), ("RateLimit-Policy", "100;w=60")],
            expected: reading(limit: 100, remaining: 0, resetIn: .seconds(9), wait: .seconds(9))),
        RateLimitParserCase(
            name: "IETF reset on a 429 without remaining", status: 429, headers: [("RateLimit-Reset", "8")],
            expected: reading(resetIn: .seconds(8), wait: .seconds(8))),
        RateLimitParserCase(
            name: "IETF reset sent as an epoch", headers: [("Date", nowHTTP), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "1700000020")],
            expected: reading(remaining: 0, resetIn: .seconds(20), wait: .seconds(20))),
        RateLimitParserCase(
            name: "the smaller remaining of two dialects wins",
            headers: [("X-RateLimit-Remaining", "5"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "30")],
            expected: reading(remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
    ]

    @Test(arguments: ietfRows)
    func ietfDialect(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    // MARK: - Several RateLimit items and lines

    /// express-rate-limit sends one `RateLimit` and one `RateLimit-Policy` line per limiter; proxies fold
    /// them into one comma-separated line. Every item counts, whichever line it came on.
    static let severalPolicyRows: [RateLimitParserCase] = [
        RateLimitParserCase(
            name: "express-rate-limit: two limiters on two lines, the second exhausted",
            headers: [
                ("RateLimit-Policy", "\"6-in-1hr\"; q=6; w=3600"), ("RateLimit-Policy", "\"1-in-5sec\"; q=1; w=5"),
                ("RateLimit", "\"6-in-1hr\"; r=5; t=3600"), ("RateLimit", "\"1-in-5sec\"; r=0; t=3"),
            ],
            expected: reading(limit: 1, remaining: 0, resetIn: .seconds(3), wait: .seconds(3))),
        RateLimitParserCase(
            name: "the same two limiters folded into one line each",
            headers: [
                ("RateLimit-Policy", "\"6-in-1hr\";q=6;w=3600, \"1-in-5sec\";q=1;w=5"),
                ("RateLimit", "\"6-in-1hr\";r=5;t=3600, \"1-in-5sec\";r=0;t=3"),
            ],
            expected: reading(limit: 1, remaining: 0, resetIn: .seconds(3), wait: .seconds(3))),
        RateLimitParserCase(
            name: "several exhausted items: the longest t is waited out",
            headers: [("RateLimit", "\"burst\";r=0;t=5, \"day\";r=0;t=3600")],
            expected: reading(remaining: 0, resetIn: .seconds(3600), wait: .seconds(3600))),
        RateLimitParserCase(
            name: "several exhausted lines: the longest t is waited out",
            headers: [("RateLimit", "\"a\";r=0;t=2"), ("ratelimit", "\"b\";r=0;t=9"), ("RateLimit", "\"c\";r=4;t=60")],
            expected: reading(remaining: 0, resetIn: .seconds(9), wait: .seconds(9))),
        RateLimitParserCase(
            name: "none exhausted: the item with the fewest left is reported, no wait",
            headers: [("RateLimit", "\"day\";r=900;t=3600, \"burst\";r=2;t=5")],
            expected: reading(remaining: 2, resetIn: .seconds(5))),
        RateLimitParserCase(
            name: "a 429 with none exhausted waits for the item with the fewest left", status: 429,
            headers: [("RateLimit", "\"day\";r=900;t=3600, \"burst\";r=2;t=5")],
            expected: reading(remaining: 2, resetIn: .seconds(5), wait: .seconds(5))),
        RateLimitParserCase(
            name: "a policy on a later RateLimit-Policy line is found by name",
            headers: [
                ("RateLimit-Policy", "\"day\";q=1000;w=86400"), ("RateLimit-Policy", "\"burst\";q=10;w=1"),
                ("RateLimit", "\"burst\";r=0;t=5"),
            ],
            expected: reading(limit: 10, remaining: 0, resetIn: .seconds(5), wait: .seconds(5))),
        RateLimitParserCase(
            name: "a garbage item does not hide a valid exhausted one",
            headers: [("RateLimit", "\"a\";r=x;t=30, \"b\";r=0;t=4")],
            expected: reading(remaining: 0, resetIn: .seconds(4), wait: .seconds(4))),
        RateLimitParserCase(
            name: "older dictionary form, one policy per line",
            headers: [("RateLimit", "limit=100, remaining=50, reset=60"), ("RateLimit", "limit=10, remaining=0, reset=7")],
            expected: reading(limit: 10, remaining: 0, resetIn: .seconds(7), wait: .seconds(7))),
        RateLimitParserCase(
            name: "older dictionary form, two policies folded into one line",
            headers: [("RateLimit", "limit=100, remaining=50, reset=60, limit=10, remaining=0, reset=7")],
            expected: reading(limit: 10, remaining: 0, resetIn: .seconds(7), wait: .seconds(7))),
    ]

    @Test(arguments: severalPolicyRows)
    func everyRateLimitItemOnEveryLineCounts(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    // MARK: - JSON body

    static let bodyRows: [RateLimitParserCase] = [
        RateLimitParserCase(name: "top.gg retry-after", status: 429, body: #"{"retry-after": 3600}"#, expected: reading(wait: .seconds(3600))),
        RateLimitParserCase(
            name: "Discord retry_after", status: 429, body: #"{"message": "You are being rate limited.", "retry_after": 64.57, "global": false}"#,
            expected: reading(wait: .milliseconds(64_570))),
        RateLimitParserCase(name: "expiresIn is milliseconds", status: 429, body: #"{"expiresIn": 1500}"#, expected: reading(wait: .milliseconds(1500))),
        RateLimitParserCase(name: "numeric string", status: 429, body: #"{"retry_after": "30"}"#, expected: reading(wait: .seconds(30))),
        RateLimitParserCase(name: "larger body field wins", status: 429, body: #"{"retry_after": 2, "expiresIn": 5000}"#, expected: reading(wait: .seconds(5))),
        RateLimitParserCase(
            name: "body larger than header", status: 429, headers: [("Retry-After", "10")], body: #"{"retry_after": 20}"#, expected: reading(wait: .seconds(20))
        ),
        RateLimitParserCase(
            name: "header larger than body", status: 429, headers: [("Retry-After", "30")], body: #"{"retry_after": 20}"#, expected: reading(wait: .seconds(30))
        ),
        RateLimitParserCase(name: "body zero is a zero wait", status: 429, body: #"{"retry_after": 0}"#, expected: reading(wait: .zero)),
        RateLimitParserCase(
            name: "null, bool and negative fields are ignored", status: 429, body: #"{"retry_after": null, "retry-after": true, "expiresIn": -5}"#,
            expected: reading()),
        RateLimitParserCase(name: "nested field is not top-level", status: 429, body: #"{"error": {"retry_after": 30}}"#, expected: reading()),
        RateLimitParserCase(name: "a success body is not read", status: 200, body: #"{"expiresIn": 3600000}"#, expected: reading()),
        RateLimitParserCase(name: "an HTML body is ignored", status: 429, body: "<html>retry_after: 30</html>", expected: reading()),
        RateLimitParserCase(name: "a JSON array is ignored", status: 429, body: #"[{"retry_after": 30}]"#, expected: reading()),
        RateLimitParserCase(name: "truncated JSON is ignored", status: 429, body: #"{"retry_after": 30"#, expected: reading()),
        RateLimitParserCase(
            name: "a body over 64 KiB is ignored", status: 429,
            body: #"{"retry_after": 30, "pad": ""# + String(repeating: "x", count: 64 * 1024) + #""}"#, expected: reading()),
        RateLimitParserCase(
            name: "a body just under 64 KiB is read", status: 429,
            body: #"{"retry_after": 30, "pad": ""# + String(repeating: "x", count: 64 * 1024 - 40) + #""}"#, expected: reading(wait: .seconds(30))),
    ]

    @Test(arguments: bodyRows)
    func jsonBody(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    // MARK: - Precedence

    static let precedenceRows: [RateLimitParserCase] = [
        RateLimitParserCase(
            name: "(1) Retry-After beats a longer Reset-After",
            headers: [("Retry-After", "10"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "20")],
            expected: reading(remaining: 0, resetIn: .seconds(20), wait: .seconds(10))),
        RateLimitParserCase(
            name: "(1) a body field beats the reset dialects", status: 429,
            headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "20")], body: #"{"retry_after": 3}"#,
            expected: reading(remaining: 0, resetIn: .seconds(20), wait: .seconds(3))),
        RateLimitParserCase(
            name: "(1) Retry-After 0 still wins", headers: [("Retry-After", "0"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "40")],
            expected: reading(remaining: 0, resetIn: .seconds(40), wait: .zero)),
        RateLimitParserCase(
            name: "(2) Reset-After beats IETF and X-RateLimit-Reset",
            headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "20"), ("RateLimit", "\"d\";r=0;t=30"), ("X-RateLimit-Reset", "40")],
            expected: reading(remaining: 0, resetIn: .seconds(20), wait: .seconds(20))),
        RateLimitParserCase(
            name: "(3) IETF t beats X-RateLimit-Reset",
            headers: [("X-RateLimit-Remaining", "0"), ("RateLimit", "\"d\";r=0;t=30"), ("X-RateLimit-Reset", "40")],
            expected: reading(remaining: 0, resetIn: .seconds(30), wait: .seconds(30))),
        RateLimitParserCase(
            name: "(3) IETF applies when only its own remaining is 0",
            headers: [("X-RateLimit-Remaining", "5"), ("X-RateLimit-Reset-After", "20"), ("RateLimit", "\"d\";r=0;t=30")],
            expected: reading(remaining: 0, resetIn: .seconds(20), wait: .seconds(30))),
        RateLimitParserCase(
            name: "(4) X-RateLimit-Reset alone", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "40")],
            expected: reading(remaining: 0, resetIn: .seconds(40), wait: .seconds(40))),
        RateLimitParserCase(name: "(5) a bare 429 leaves the wait to backoff", status: 429, expected: reading()),
        RateLimitParserCase(name: "nothing at all", expected: reading()),
    ]

    @Test(arguments: precedenceRows)
    func requiredWaitPrecedence(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    // MARK: - Server clock

    @Test func retryAfterHTTPDateIsMeasuredFromTheDateHeader() {
        // The local clock runs an hour fast; measured against it the date would already be past.
        let row = RateLimitParserCase(
            name: "", status: 429, headers: [("Date", nowHTTP), ("Retry-After", "Tue, 14 Nov 2023 22:14:50 GMT")],
            localNow: now.addingTimeInterval(3600), expected: reading())
        #expect(parse(row).requiredWait == .seconds(90))
    }

    @Test func epochResetIsMeasuredFromTheDateHeaderNotTheLocalClock() {
        let row = RateLimitParserCase(
            name: "", headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000060")],
            localNow: now.addingTimeInterval(-3600), expected: reading())
        #expect(parse(row).requiredWait == .seconds(60))
    }

    @Test func anUnparseableDateHeaderFallsBackToTheLocalClock() {
        let row = RateLimitParserCase(
            name: "", headers: [("Date", "yesterday"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000060")],
            localNow: now.addingTimeInterval(20), expected: reading())
        #expect(parse(row).requiredWait == .seconds(40))
    }

    // MARK: - Garbage, overflow, cap

    static let garbageRows: [RateLimitParserCase] = [
        RateLimitParserCase(name: "Retry-After abc", status: 429, headers: [("Retry-After", "abc")], expected: reading()),
        RateLimitParserCase(name: "Retry-After empty", status: 429, headers: [("Retry-After", "")], expected: reading()),
        RateLimitParserCase(name: "Retry-After negative", status: 429, headers: [("Retry-After", "-5")], expected: reading()),
        RateLimitParserCase(name: "Retry-After NaN", status: 429, headers: [("Retry-After", "NaN")], expected: reading()),
        RateLimitParserCase(name: "Retry-After inf", status: 429, headers: [("Retry-After", "inf")], expected: reading()),
        RateLimitParserCase(
            name: "Retry-After negative and overflowing", status: 429, headers: [("Retry-After", "-99999999999999999999")], expected: reading()),
        RateLimitParserCase(name: "Retry-After digits then garbage", status: 429, headers: [("Retry-After", "99999999999999999999x")], expected: reading()),
        RateLimitParserCase(
            name: "X-RateLimit-Reset negative", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "-5")], expected: reading(remaining: 0)),
        RateLimitParserCase(
            name: "X-RateLimit-Reset negative and overflowing", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "-99999999999999999999")],
            expected: reading(remaining: 0)),
        RateLimitParserCase(
            name: "X-RateLimit-Reset garbage", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "soon")], expected: reading(remaining: 0)),
        RateLimitParserCase(
            name: "Reset-After Infinity", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "Infinity")], expected: reading(remaining: 0)),
        RateLimitParserCase(
            name: "remaining negative", headers: [("X-RateLimit-Remaining", "-1"), ("X-RateLimit-Reset", "30")], expected: reading(resetIn: .seconds(30))),
        RateLimitParserCase(
            name: "remaining fractional", headers: [("X-RateLimit-Remaining", "0.5"), ("X-RateLimit-Reset", "30")], expected: reading(resetIn: .seconds(30))),
        RateLimitParserCase(name: "limit garbage", headers: [("X-RateLimit-Limit", "lots")], expected: reading()),
        RateLimitParserCase(name: "structured garbage", headers: [("RateLimit", "\"d\";r=x;t=-4")], expected: reading()),
        RateLimitParserCase(name: "structured unterminated quote", headers: [("RateLimit", "\"d;r=0;t=30")], expected: reading()),
        RateLimitParserCase(name: "body negative and overflowing", status: 429, body: #"{"retry_after": -1e20}"#, expected: reading()),
        RateLimitParserCase(name: "body too large for Double", status: 429, body: #"{"retry_after": 1e400}"#, expected: reading()),
        RateLimitParserCase(
            name: "garbage then a valid Retry-After", status: 429, headers: [("Retry-After", "-1"), ("Retry-After", "5")], expected: reading(wait: .seconds(5))),
    ]

    @Test(arguments: garbageRows)
    func garbageIsIgnored(_ row: RateLimitParserCase) {
        let result = parse(row)
        #expect(result == row.expected)
        for wait in [result.requiredWait, result.resetIn].compactMap(\.self) {
            #expect(wait >= .zero && wait <= sixHours)
        }
    }

    static let capRows: [RateLimitParserCase] = [
        RateLimitParserCase(name: "Retry-After just over 6 h", status: 429, headers: [("Retry-After", "21601")], expected: reading(wait: sixHours)),
        RateLimitParserCase(name: "Retry-After exactly 6 h", status: 429, headers: [("Retry-After", "21600")], expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "Retry-After just under 6 h", status: 429, headers: [("Retry-After", "21599.5")], expected: reading(wait: .milliseconds(21_599_500))),
        RateLimitParserCase(name: "Retry-After absurd but finite", status: 429, headers: [("Retry-After", "99999999999")], expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "Retry-After date in 2100", status: 429, headers: [("Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT")], expected: reading(wait: sixHours)),
        RateLimitParserCase(name: "body a year away", status: 429, body: #"{"retry_after": 31536000}"#, expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "Reset-After a day away", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "86400")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "epoch reset a day away", headers: [("Date", nowHTTP), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700086400")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
    ]

    @Test(arguments: capRows)
    func serverWaitsAreCappedAtSixHours(_ row: RateLimitParserCase) {
        #expect(parse(row) == row.expected)
    }

    /// `delay-seconds` is `1*DIGIT` with no upper bound: a number too large for any clock is still the
    /// list asking for silence, so it saturates to the cap rather than being thrown away.
    static let saturationRows: [RateLimitParserCase] = [
        RateLimitParserCase(
            name: "Retry-After overflowing 64 bits", status: 429, headers: [("Retry-After", "99999999999999999999")], expected: reading(wait: sixHours)),
        RateLimitParserCase(name: "Retry-After 2^63", status: 503, headers: [("Retry-After", "9223372036854775808")], expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "Retry-After overflowing with a fraction", status: 429, headers: [("Retry-After", "99999999999999999999.5")],
            expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "X-RateLimit-Reset-After overflowing", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "99999999999999999999")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "X-RateLimit-Reset overflowing", headers: [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "99999999999999999999")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "IETF t overflowing", headers: [("RateLimit", "\"d\";r=0;t=99999999999999999999")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "IETF RateLimit-Reset overflowing", headers: [("RateLimit-Remaining", "0"), ("RateLimit-Reset", "99999999999999999999")],
            expected: reading(remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(
            name: "older dictionary reset overflowing", headers: [("RateLimit", "limit=10, remaining=0, reset=99999999999999999999")],
            expected: reading(limit: 10, remaining: 0, resetIn: sixHours, wait: sixHours)),
        RateLimitParserCase(name: "body number beyond 64 bits", status: 429, body: #"{"retry_after": 1e20}"#, expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "body numeric string beyond 64 bits", status: 429, body: #"{"retry_after": "99999999999999999999"}"#, expected: reading(wait: sixHours)),
        RateLimitParserCase(
            name: "body expiresIn beyond 64 bits", status: 429, body: #"{"expiresIn": "99999999999999999999"}"#, expected: reading(wait: sixHours)),
    ]

    @Test(arguments: saturationRows)
    func overflowingDeltasSaturateToTheCap(_ row: RateLimitParserCase) {
        let result = parse(row)
        #expect(result == row.expected)
        for wait in [result.requiredWait, result.resetIn].compactMap(\.self) {
            #expect(wait >= .zero && wait <= sixHours)
        }
    }

    // MARK: - Logging

    @Test func garbageIsLoggedAtDebugWithTheHeaderName() {
        let sink = RateLimitLogSink()
        let logger = Logger(label: "test") { _ in RateLimitLogHandler(sink: sink) }
        let row = RateLimitParserCase(name: "", status: 429, headers: [("Authorization", "secret-token"), ("Retry-After", "abc")], expected: reading())
        #expect(parse(row, logger: logger) == reading())
        let entries = sink.entries
        #expect(entries.count == 1)
        #expect(entries.first?.level == .debug)
        #expect(entries.first?.metadata["header"] == "retry-after")
        #expect(!entries.contains { "\($0.message) \($0.metadata)".contains("secret-token") })
    }

    @Test func aBrokenJSONBodyOnA429IsLoggedAtDebug() {
        let sink = RateLimitLogSink()
        let logger = Logger(label: "test") { _ in RateLimitLogHandler(sink: sink) }
        let row = RateLimitParserCase(name: "", status: 429, body: #"{"retry_after": 30"#, expected: reading())
        #expect(parse(row, logger: logger) == reading())
        #expect(sink.entries.map { $0.metadata["header"] } == ["body"])
    }

    @Test func aLargeWaitIsLoggedWhenClamped() {
        let sink = RateLimitLogSink()
        let logger = Logger(label: "test") { _ in RateLimitLogHandler(sink: sink) }
        let row = RateLimitParserCase(name: "", status: 429, headers: [("Retry-After", "86400")], expected: reading())
        #expect(parse(row, logger: logger).requiredWait == sixHours)
        #expect(sink.entries.contains { $0.level == .debug && $0.metadata["field"] == "wait" })
    }
}

/// Log records kept for inspection; the lock makes the handler safe to share across tasks.
final class RateLimitLogSink: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }
}

/// A handler that records everything down to trace level instead of printing.
struct RateLimitLogHandler: LogHandler {
    let sink: RateLimitLogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.append(.init(level: event.level, message: "\(event.message)", metadata: event.metadata ?? [:]))
    }
}
