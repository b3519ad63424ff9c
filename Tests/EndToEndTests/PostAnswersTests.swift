import Foundation
import Testing

/// `post` answers promptly and truthfully: after the requests it really sends, never after a
/// cooldown (issue 12).
@Suite(.serialized) struct PostAnswersTests {
    static let metrics = "/v1/projects/@me/metrics"

    /// top.gg-shaped targets named `names`, each at its own path of `list`.
    static func config(_ list: FakeBotList, targets names: [String], retry: String = "") -> (URL) throws -> String {
        { dir in
            var text = DaemonHarness.daemonSection(dir) + """
                [bot]
                id = "123456789012345678"

                [retry]
                base_delay = "20s"
                max_delay = "1m"
                timeout = "5s"
                \(retry)

                """
            for name in names {
                let token = try DaemonHarness.writeToken("tok-SECRET-\(name)", named: name, in: dir)
                text += """

                    [targets.\(name)]
                    provider = "topgg"
                    token_file = "\(token)"
                    base_url = "\(list.baseURL)/\(name)"

                    """
            }
            return text
        }
    }

    @Test func postToAListThatDeferredUsAnswersAtOnce() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: "/deferred" + Self.metrics, [.tooManyRequests(retryAfter: "6000")])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, targets: ["topgg", "deferred"]))
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
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, targets: ["flaky"]))
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
            let daemon = try await DaemonHarness.start(configTOML: { dir in
                try Self.config(list, targets: ["refused"])(dir)
                    .replacingOccurrences(of: #"timeout = "5s""#, with: #"timeout = "30s""#)
                    .replacingOccurrences(of: "\(list.baseURL)/refused", with: "\(closed.baseURL)/refused")
            })
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
}
