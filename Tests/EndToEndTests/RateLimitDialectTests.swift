import Foundation
import Testing

/// Rate-limit dialects and retryable statuses end to end: the real `botstatsd` against a local list that
/// answers the way express-rate-limit and Cloudflare do.
@Suite(.serialized) struct RateLimitDialectTests {
    static let botID = "123456789012345678"
    static let path = "/topgg/v1/projects/@me/metrics"

    /// One top.gg target pointed at `list`, with short retry delays so a retry happens within seconds.
    static func config(_ list: FakeBotList) -> TestConfiguration {
        TestConfiguration(
            bot: .init(id: botID, targets: [.init("topgg", token: "dialect-SECRET-token", baseURL: "\(list.baseURL)/topgg")]),
            retry: .init(baseDelay: "200ms", maxDelay: "1m", timeout: "5s"))
    }

    /// The `topgg` target of the status object.
    static func target(_ status: [String: Any]) throws -> [String: Any] {
        let bots = try #require(status["bots"] as? [[String: Any]])
        let targets = try #require(bots.first?["targets"] as? [[String: Any]])
        return try #require(targets.first { $0["name"] as? String == "topgg" })
    }

    /// Polls `status --json` until the target satisfies `condition`; throws with the last status seen at the deadline.
    static func waitForTarget(
        _ daemon: DaemonHarness, timeout: Duration, _ what: String, _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        try target(try await daemon.waitForStatus("topgg with \(what)", timeout: timeout) { try condition(target($0)) })
    }

    /// `duration` in seconds, for wall-clock arithmetic.
    static func seconds(_ duration: Duration) -> TimeInterval {
        let (whole, atto) = duration.components
        return TimeInterval(whole) + TimeInterval(atto) / 1e18
    }

    /// An RFC 3339 timestamp of the status object.
    static func date(_ value: Any?) -> Date? {
        (value as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
    }

    @Test func anExhaustedItemOnASecondRateLimitLineHoldsTheNextPost() async throws {
        try await FakeBotList.withServer { list in
            // express-rate-limit with two limiters: one line each; the per-5-seconds one is spent.
            list.script(
                path: Self.path,
                [
                    FakeResponse(
                        status: 200,
                        headers: [
                            ("RateLimit-Policy", #""6-in-1hr"; q=6; w=3600"#),
                            ("RateLimit-Policy", #""1-in-5sec"; q=1; w=5"#),
                            ("RateLimit", #""6-in-1hr"; r=5; t=3600"#),
                            ("RateLimit", #""1-in-5sec"; r=0; t=5"#),
                        ])
                ])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            #expect(try await daemon.ctl(["set", "--servers", "10"]).exitCode == 0)
            let first = try await list.waitForRequests(path: Self.path, count: 1, timeout: .seconds(10))[0]
            // The wall-clock moment the request arrived, however late this task noticed it.
            let firstSeen = Date().addingTimeInterval(-Self.seconds(first.receivedAt.duration(to: .now)))
            let delivered = try await Self.waitForTarget(daemon, timeout: .seconds(10), "the first post recorded") {
                $0["posts_total"] as? Int == 1
            }
            let window = try #require(delivered["rate_limit"] as? [String: Any])
            #expect(window["remaining"] as? Int == 0)
            #expect(window["limit"] as? Int == 1)

            // New counts arrive while the window is spent: the post must wait for it, not go out at once.
            #expect(try await daemon.ctl(["set", "--servers", "11"]).exitCode == 0)
            let waiting = try await Self.waitForTarget(daemon, timeout: .seconds(4), "state rate_limited") {
                $0["state"] as? String == "rate_limited"
            }
            let nextAttempt = try #require(Self.date(waiting["next_attempt_at"]), "\(waiting)")
            // t=5 from the answer; the status shows whole seconds, so allow for the truncation.
            #expect(nextAttempt.timeIntervalSince(firstSeen) >= 3.5, "next attempt \(nextAttempt), first request at \(firstSeen)")
            #expect(list.requests(path: Self.path).count == 1, "a request went out inside the spent window")

            let both = try await list.waitForRequests(path: Self.path, count: 2, timeout: .seconds(15))
            #expect(both[1].body.contains("11"))
            let gap = first.receivedAt.duration(to: both[1].receivedAt)
            #expect(gap >= .milliseconds(4900), "posted again after \(gap), inside the 5 s window")
            let after = try await Self.waitForTarget(daemon, timeout: .seconds(5), "state ok") { $0["state"] as? String == "ok" }
            #expect(after["posts_total"] as? Int == 2)
            #expect(after["failures_total"] as? Int == 0)
        }
    }

    @Test func cloudflares522WithRetryAfterIsRetriedAfterTheWait() async throws {
        try await FakeBotList.withServer { list in
            list.script(
                path: Self.path,
                [
                    FakeResponse(status: 522, headers: [("Retry-After", "3"), ("Content-Type", "text/plain")], body: "error code: 522")
                ])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            #expect(try await daemon.ctl(["set", "--servers", "10"]).exitCode == 0)
            let first = try await list.waitForRequests(path: Self.path, count: 1, timeout: .seconds(10))[0]
            let retrying = try await Self.waitForTarget(daemon, timeout: .seconds(3), "state retrying") {
                $0["last_status"] as? Int == 522
            }
            #expect(retrying["state"] as? String == "retrying", "\(retrying)")
            #expect(Self.date(retrying["next_attempt_at"]) != nil, "\(retrying)")

            let both = try await list.waitForRequests(path: Self.path, count: 2, timeout: .seconds(15))
            let gap = first.receivedAt.duration(to: both[1].receivedAt)
            #expect(gap >= .milliseconds(2900), "retried after \(gap), before Retry-After: 3")
            let done = try await Self.waitForTarget(daemon, timeout: .seconds(5), "state ok") { $0["state"] as? String == "ok" }
            #expect(done["last_status"] as? Int == 200)
            #expect(done["retries_total"] as? Int == 1)
            #expect(done["failures_total"] as? Int == 1)
            #expect(list.requests(path: Self.path).count == 2)
        }
    }
}
