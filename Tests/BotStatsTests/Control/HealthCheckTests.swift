import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct HealthCheckTests {
    static let now = Date(timeIntervalSince1970: 2_000_000_000)

    static func report(_ targets: [(TargetState, TimeInterval?)], servers: Int? = 10) -> StatusReport {
        let statuses = targets.enumerated().map { index, target in
            TargetStatus(
                name: "t\(index)", provider: "topgg", state: target.0, lastAttemptAt: nil,
                lastSuccessAt: target.1.map { now.addingTimeInterval(-$0) }, lastStatus: nil, lastError: nil,
                consecutiveFailures: 0, postsTotal: 0, failuresTotal: 0, retriesTotal: 0, nextAttemptAt: nil,
                rateLimit: RateLimitStatus(limit: nil, remaining: nil, resetAt: nil, resetInSeconds: nil))
        }
        let bot = BotStatus(
            name: "main", id: "1", counts: CountsStatus(servers: servers, users: nil, shards: nil, updatedAt: nil),
            lastPostedAt: nil, nextRepostAt: nil, nextRepostInSeconds: nil, repostIntervalSeconds: 3600, targets: statuses)
        return StatusReport(version: "x", pid: 1, uptimeSeconds: 1, configPath: "/c", configLoadedAt: now, lastReloadError: nil, bots: [bot])
    }

    @Test(
        arguments: [
            ([(TargetState.ok, 60.0)], Int32(0)),
            ([(.ok, 7100)], 0),
            ([(.ok, 7300)], 2),
            ([(.retrying, 60)], 1),
            ([(.rateLimited, 60)], 1),
            ([(.retrying, 7300)], 2),
            ([(.rateLimited, 4 * 3600)], 2),
            ([(.unauthorized, 60)], 2),
            ([(.rejected, 60)], 2),
            ([(.circuitOpen, 60)], 2),
            ([(.ok, 60), (.disabled, nil)], 0),
            ([(.rateLimited, 60), (.unauthorized, 60)], 2),
        ] as [([(TargetState, TimeInterval?)], Int32)])
    func verdictFollowsTheWorstTarget(targets: [(TargetState, TimeInterval?)], code: Int32) {
        #expect(HealthCheck.verdict(Self.report(targets), now: Self.now).code == code)
    }

    @Test func summaryIsOnePluginLine() {
        let verdict = HealthCheck.verdict(Self.report([(.ok, 60), (.unauthorized, 60)]), now: Self.now)
        #expect(verdict.line == "BOTSTATSD CRITICAL - main/t1 unauthorized; 1/2 lists ok")
        #expect(!verdict.line.contains("\n"))
    }

    /// Retrying or rate limited for longer than twice the repost interval is CRITICAL (issue 11:
    /// after 4 × the interval `check` still said WARNING).
    @Test func aListThatHasNotTakenTheCountsForTwoIntervalsIsCritical() {
        let verdict = HealthCheck.verdict(Self.report([(.rateLimited, 4 * 3600)]), now: Self.now)
        #expect(verdict.line == "BOTSTATSD CRITICAL - main/t0 rate_limited, last posted 4h ago; 0/1 lists ok")
        var never = Self.report([(.retrying, nil)])
        never.bots[0].counts.updatedAt = Self.now.addingTimeInterval(-3 * 3600)
        #expect(HealthCheck.verdict(never, now: Self.now).line == "BOTSTATSD CRITICAL - main/t0 retrying, never posted; 0/1 lists ok")
    }

    @Test func noCountsYetIsAWarningNotAnAlarm() {
        let verdict = HealthCheck.verdict(Self.report([(.ok, nil)], servers: nil), now: Self.now)
        #expect(verdict.code == 1)
    }
}

@Suite struct FailureLogSummaryTests {
    @Test func aRepeatedFailureIsLoggedOnceAndCountedOnRecovery() {
        var summary = FailureLogSummary()
        #expect(summary.shouldLog(kind: "retry", error: "HTTP 503") == 0)
        #expect(summary.shouldLog(kind: "retry", error: "HTTP 503") == nil)
        #expect(summary.shouldLog(kind: "failed", error: "HTTP 503") == 1)
        #expect(summary.shouldLog(kind: "retry", error: "HTTP 503") == nil)
        #expect(summary.shouldLog(kind: "failed", error: "HTTP 503") == nil)
        #expect(summary.recovered() == 2)
        #expect(summary.recovered() == nil)
        #expect(summary.shouldLog(kind: "retry", error: "HTTP 503") == 0)
    }

    @Test func aDifferentFailureIsLoggedAgain() {
        var summary = FailureLogSummary()
        #expect(summary.shouldLog(kind: "retry", error: "HTTP 503") == 0)
        #expect(summary.shouldLog(kind: "retry", error: "HTTP 502") == 0)
    }
}

@Suite struct MetricsExpositionTests {
    @Test func exposesCountersGaugesAndStatesWithoutSecrets() {
        var report = HealthCheckTests.report([(.rateLimited, 60)])
        report.bots[0].targets[0].postsTotal = 3
        report.bots[0].targets[0].failuresByClass = ["429": 2]
        report.bots[0].targets[0].rateLimit.remaining = 0
        let text = MetricsExposition.render(report)
        #expect(text.contains("# TYPE botstatsd_posts_total counter"))
        #expect(text.contains(#"botstatsd_posts_total{bot="main",target="t0"} 3"#))
        #expect(text.contains(#"botstatsd_post_failures_total{bot="main",target="t0",class="429"} 2"#))
        #expect(text.contains(#"botstatsd_post_failures_total{bot="main",target="t0",class="5xx"} 0"#))
        #expect(text.contains(#"botstatsd_target_state{bot="main",target="t0",state="rate_limited"} 1"#))
        #expect(text.contains(#"botstatsd_target_rate_limit_remaining{bot="main",target="t0"} 0"#))
        #expect(text.contains(#"botstatsd_bot_servers{bot="main"} 10"#))
    }
}

extension MetricsExpositionTests {
    /// Every scrape of the same state is the same text, families and samples sorted by name.
    @Test func theExpositionComesOutInTheSameOrderEveryTime() {
        let report = HealthCheckTests.report([(.ok, 60), (.rateLimited, 60), (.unauthorized, nil)])
        let first = MetricsExposition.render(report)
        for _ in 0..<20 { #expect(MetricsExposition.render(report) == first) }
        let names = first.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.map { $0.split(separator: " ")[2] }
        #expect(names == names.sorted())
        #expect(first.split(separator: "\n").first?.hasPrefix("# HELP botstatsd_bot_servers") == true)
    }
}
