import Foundation
import Testing

/// `post` answers promptly and truthfully: after the requests it really sends, never after a
/// cooldown (issue 12).
@Suite(.serialized) struct PostAnswersTests {
    static let metrics = "/v1/projects/@me/metrics"

    /// top.gg-shaped targets named `names`, each at its own path of `list`.
    static func config(_ list: FakeBotList, targets names: [String]) -> TestConfiguration {
        TestConfiguration(
            bot: .init(
                id: "123456789012345678",
                targets: names.map { name in
                    .init(name, provider: "topgg", token: "tok-SECRET-\(name)", baseURL: "\(list.baseURL)/\(name)")
                }),
            retry: .init(baseDelay: "20s", maxDelay: "1m", timeout: "5s"))
    }

    @Test func postToAListThatDeferredUsAnswersAtOnce() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: "/deferred" + Self.metrics, [.tooManyRequests(retryAfter: "6000")])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, targets: ["topgg", "deferred"]).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await list.waitForRequests(path: "/deferred" + Self.metrics, count: 1, timeout: .seconds(10))
            try await daemon.waitForStatus("deferred is rate limited") { status in
                try CoreLoopTests.target(status, "deferred")["state"] as? String == "rate_limited"
            }
            let started = ContinuousClock.now
            let one = try await daemon.ctl(["post", "--target", "deferred"], timeout: .seconds(30))
            #expect(started.duration(to: .now) < .seconds(3), "post took \(started.duration(to: .now))")
            #expect(one.stdout.contains("main/deferred: deferred (rate_limited, HTTP 429) next attempt "), "\(one)")
            #expect(one.exitCode == 0)
            let all = try await daemon.ctl(["post"], timeout: .seconds(30))
            #expect(started.duration(to: .now) < .seconds(6))
            #expect(all.stdout.contains("main/topgg: delivered (ok, HTTP 200)"), "\(all)")
            #expect(all.stdout.contains("main/deferred: deferred"), "\(all)")
            // Deferred means not sent: the list saw exactly its one request.
            #expect(list.requests(path: "/deferred" + Self.metrics).count == 1)
        }
    }

    @Test func postWaitsForTheRequestButNotForTheBackoff() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: "/flaky" + Self.metrics, [.status(503)], then: .status(503))
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, targets: ["flaky"]).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await list.waitForRequests(path: "/flaky" + Self.metrics, count: 1, timeout: .seconds(10))
            try await daemon.waitForStatus("flaky is retrying") { status in
                try CoreLoopTests.target(status, "flaky")["state"] as? String == "retrying"
            }
            // The backoff is up to 20 s; post answers at once with the state and the next attempt.
            let started = ContinuousClock.now
            let answer = try await daemon.ctl(["post"], timeout: .seconds(60))
            #expect(started.duration(to: .now) < .seconds(3), "post took \(started.duration(to: .now))")
            #expect(answer.stdout.contains("main/flaky: retrying (retrying, HTTP 503) next attempt "), "\(answer)")
        }
    }

    /// A list whose port refuses connections is reported as refusing within a second or two,
    /// not as "no answer within 30s" after the whole timeout.
    @Test func aRefusedConnectionIsReportedAsSuchAtOnce() async throws {
        let closed = try await FakeBotList.start()
        try await closed.shutdown()
        try await FakeBotList.withServer { list in
            var config = Self.config(closed, targets: ["refused"])
            config.retry?.timeout = "30s"
            let daemon = try await DaemonHarness.start(configTOML: config.render)
            defer { daemon.cleanup() }
            let started = ContinuousClock.now
            let answer = try await daemon.ctl(["post"], timeout: .seconds(60))
            #expect(answer.stderr.contains("no_counts"), "\(answer)")
            _ = try await daemon.ctl(["set", "--servers", "10"])
            let status = try await daemon.waitForStatus("the refusal is shown", timeout: .seconds(5)) { status in
                (try CoreLoopTests.target(status, "refused")["last_error"] as? String) != nil
            }
            #expect(started.duration(to: .now) < .seconds(4))
            let error = try CoreLoopTests.target(status, "refused")["last_error"] as? String
            #expect(error == "connection failed: connection refused", "\(error ?? "nil")")
        }
    }

    /// A dry run never shows a list as having accepted anything: not in status (JSON or text),
    /// not in `check`, `post`, `STATUS=` or the log.
    @Test func aDryRunNeverClaimsADelivery() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(list, targets: ["topgg", "second"]).render, extraArgs: ["--dry-run"], notifySocket: notify)
            defer { daemon.cleanup() }
            let set = try await daemon.ctl(["set", "--servers", "10"])
            #expect(set.stdout.contains("dry run"), "\(set)")
            #expect(!set.stdout.contains("counts saved"), "\(set)")
            let status = try await daemon.waitForStatus("both would-be posts are logged") { status in
                try ["topgg", "second"].allSatisfy { try CoreLoopTests.target(status, $0)["last_attempt_at"] is String }
            }
            #expect(status["dry_run"] as? Bool == true)
            for name in ["topgg", "second"] {
                let target = try CoreLoopTests.target(status, name)
                #expect(target["state"] as? String == "pending", "\(target)")
                #expect(target["last_status"] is NSNull)
                #expect(target["last_success_at"] is NSNull)
                #expect(target["posts_total"] as? Int == 0)
            }
            let bot = try #require((status["bots"] as? [[String: Any]])?.first)
            #expect(bot["last_posted_at"] is NSNull)
            let text = try await daemon.ctl(["status"])
            #expect(text.stdout.contains("DRY RUN"), "\(text.stdout)")
            #expect(!text.stdout.contains(" ok "), "\(text.stdout)")
            let check = try await daemon.ctl(["check"])
            #expect(check.exitCode == 1)
            #expect(check.stdout.contains("dry run"), "\(check)")
            let post = try await daemon.ctl(["post"])
            #expect(post.stdout.contains("main/topgg: not sent (dry run"), "\(post)")
            #expect(!post.stdout.contains("delivered"))
            _ = try await notify.waitFor({ $0.status?.contains("dry run") == true }, timeout: .seconds(5))
            #expect(!daemon.log().contains("posted "), "\(daemon.log())")
            #expect(!daemon.log().contains("http.status=200"))
            #expect(list.requests().isEmpty)
        }
    }
}
