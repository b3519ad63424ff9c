import Foundation
import Testing

/// The core loop end to end: the real `botstatsd` and `botstatsctl` binaries against a local
/// HTTP server playing the bot lists.
@Suite(.serialized) struct CoreLoopTests {
    static let botID = "123456789012345678"
    static let topggToken = "tgg-SECRET-token-0001"
    static let dblToken = "dbl-SECRET-token-0002"
    static let topggPath = "/topgg/v1/projects/@me/metrics"
    static let dblPath = "/dbl/bots/\(botID)/stats"

    /// A configuration with top.gg and discordbotlist pointed at `list`, tokens in files (dbl's with a
    /// trailing newline).
    static func config(_ list: FakeBotList, repost: String = "1h") -> TestConfiguration {
        TestConfiguration(
            bot: .init(
                id: botID, repostInterval: repost,
                targets: [
                    .init("topgg", token: topggToken, baseURL: "\(list.baseURL)/topgg"),
                    .init("dbl", provider: "discordbotlist", token: dblToken + "\n", baseURL: "\(list.baseURL)/dbl"),
                ]),
            retry: .init(baseDelay: "200ms", maxDelay: "1m", timeout: "5s"))
    }

    static func target(_ status: [String: Any], _ name: String) throws -> [String: Any] {
        let bots = try #require(status["bots"] as? [[String: Any]])
        let targets = try #require(bots.first?["targets"] as? [[String: Any]])
        return try #require(targets.first { $0["name"] as? String == name })
    }

    static func assertNoTokens(_ texts: String...) {
        for text in texts {
            #expect(!text.contains("SECRET"), "a token leaked: \(text.prefix(2000))")
        }
    }

    @Test func setPostsTheSpecifiedRequestToEveryList() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let set = try await daemon.ctl(["set", "--servers", "1520", "--users", "88000", "--shards", "2"])
            #expect(set.exitCode == 0, "\(set.stderr)")
            #expect(set.stdout.contains("main: counts saved (1520 servers, 88000 users, 2 shards)"))

            let topgg = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))[0]
            #expect(topgg.method == "PATCH")
            #expect(topgg.header("Authorization") == "Bearer \(Self.topggToken)")
            #expect(topgg.header("Content-Type") == "application/json")
            #expect(topgg.header("User-Agent")?.hasPrefix("botstatsd/") == true)
            #expect(topgg.body == #"{"server_count":1520,"shard_count":2}"#)

            let dbl = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))[0]
            #expect(dbl.method == "POST")
            #expect(dbl.header("Authorization") == Self.dblToken)
            #expect(dbl.body == #"{"guilds":1520,"users":88000}"#)

            let status = try await daemon.waitForStatus("both answers recorded") { status in
                try ["topgg", "dbl"].allSatisfy { try Self.target(status, $0)["last_status"] as? Int == 200 }
            }
            #expect(status["config_path"] as? String == daemon.configFile.path)
            #expect(status["pid"] as? Int == Int(daemon.pid))
            for key in ["version", "uptime_seconds", "config_loaded_at", "bots"] { #expect(status[key] != nil, "\(key)") }
            let bot = try #require((status["bots"] as? [[String: Any]])?.first)
            #expect(bot["name"] as? String == "main")
            #expect(bot["id"] as? String == Self.botID)
            let counts = try #require(bot["counts"] as? [String: Any])
            #expect(counts["servers"] as? Int == 1520)
            #expect(counts["users"] as? Int == 88000)
            #expect(counts["shards"] as? Int == 2)
            #expect((bot["next_repost_in_seconds"] as? Int).map { $0 > 3500 } == true)
            let topggStatus = try Self.target(status, "topgg")
            #expect(topggStatus["state"] as? String == "ok")
            #expect(topggStatus["provider"] as? String == "topgg")
            #expect(topggStatus["last_status"] as? Int == 200)
            #expect(topggStatus["posts_total"] as? Int == 1)
            #expect(topggStatus["last_error"] is NSNull)
            let window = try #require(topggStatus["rate_limit"] as? [String: Any])
            #expect(Set(window.keys) == ["limit", "remaining", "reset_at", "reset_in_seconds"])
            for key in ["last_attempt_at", "last_success_at", "consecutive_failures", "failures_total", "retries_total", "next_attempt_at"] {
                #expect(topggStatus.keys.contains(key), "\(key)")
            }

            let human = try await daemon.ctl(["status"])
            #expect(human.exitCode == 0)
            #expect(human.stdout.contains("bot main (\(Self.botID)): 1520 servers, 88000 users, 2 shards"))
            #expect(human.stdout.contains("topgg"))
            #expect(human.stdout.contains("dbl"))
            #expect(try await daemon.stop() == 0)
            Self.assertNoTokens(
                daemon.log(), human.stdout, try String(contentsOf: daemon.stateDirectory.appendingPathComponent("bots/main.json"), encoding: .utf8))
        }
    }

    @Test func retryAfterOn429IsHonouredAndOtherListsAreNotHeld() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: Self.topggPath, [.tooManyRequests(retryAfter: "2")])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let set = try await daemon.ctl(["set", "--servers", "10"])
            #expect(set.exitCode == 0)
            let dbl = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            let topgg = try await list.waitForRequests(path: Self.topggPath, count: 2, timeout: .seconds(15))
            let gap = topgg[0].receivedAt.duration(to: topgg[1].receivedAt)
            #expect(gap >= .seconds(2), "retried after \(gap)")
            #expect(topgg[0].receivedAt.duration(to: dbl[0].receivedAt) < .seconds(1))
            let status = try Self.target(
                try await daemon.waitForStatus("the retry's answer recorded") { status in
                    try Self.target(status, "topgg")["last_status"] as? Int == 200
                }, "topgg")
            #expect(status["state"] as? String == "ok")
            #expect(status["retries_total"] as? Int == 1)
            #expect(status["failures_total"] as? Int == 1)
        }
    }

    @Test func exhaustedRateLimitWindowDelaysTheNextPost() async throws {
        try await FakeBotList.withServer { list in
            let reset = Int(Date().timeIntervalSince1970) + 4
            list.script(
                path: Self.topggPath,
                [
                    FakeResponse(status: 200, headers: [("X-RateLimit-Limit", "60"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "\(reset)")])
                ])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            let first = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            let status = try Self.target(
                try await daemon.waitForStatus("the first answer recorded") { status in
                    try Self.target(status, "topgg")["last_status"] as? Int == 200
                }, "topgg")
            let window = try #require(status["rate_limit"] as? [String: Any])
            #expect(window["limit"] as? Int == 60)
            #expect(window["remaining"] as? Int == 0)
            #expect(window["reset_at"] is String)
            _ = try await daemon.ctl(["set", "--servers", "11"])
            let both = try await list.waitForRequests(path: Self.topggPath, count: 2, timeout: .seconds(15))
            let wall = Date(timeIntervalSince1970: TimeInterval(reset))
            #expect(both[1].body.contains("11"))
            #expect(first[0].receivedAt.duration(to: both[1].receivedAt) >= .seconds(2), "the window was not honoured")
            #expect(Date() >= wall.addingTimeInterval(-1.1))
            // The other list was told at once.
            #expect(list.requests(path: Self.dblPath).count == 2)
        }
    }

    @Test func unauthorizedIsNotRetriedAndOtherListsStillPost() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: Self.topggPath, [.status(401, body: #"{"error":"Unauthorized"}"#), .status(401)])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            _ = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            // The daemon has decided: it gave up on the 401 and both answers are recorded. Only then can
            // "not retried" mean anything.
            try await daemon.waitForLog(containing: "<3>post failed; giving up", timeout: .seconds(10))
            let status = try await daemon.waitForStatus("both answers recorded") { status in
                try Self.target(status, "topgg")["last_status"] as? Int == 401
                    && Self.target(status, "dbl")["last_status"] as? Int == 200
            }
            #expect(list.requests(path: Self.topggPath).count == 1)
            let topgg = try Self.target(status, "topgg")
            #expect(topgg["state"] as? String == "unauthorized")
            #expect(topgg["last_status"] as? Int == 401)
            #expect((topgg["last_error"] as? String)?.contains("check the token") == true)
            #expect(try Self.target(status, "dbl")["state"] as? String == "ok")
            #expect(daemon.log().contains("<3>post failed; giving up"))
            let post = try await daemon.ctl(["post", "--target", "topgg"])
            #expect(post.exitCode == 1)
            #expect(post.stdout.contains("main/topgg: failed (unauthorized, HTTP 401): HTTP 401 (check the token)"), "\(post)")
            #expect(list.requests(path: Self.topggPath).count == 2)
            let fixed = try await daemon.ctl(["post"])
            #expect(fixed.exitCode == 0, "\(fixed)")
            #expect(fixed.stdout.contains("main/topgg: delivered (ok, HTTP 200)"))
            #expect(fixed.stdout.contains("main/dbl: delivered (ok, HTTP 200)"))
            Self.assertNoTokens(daemon.log(), post.stdout, post.stderr)
        }
    }

    @Test func restartKeepsCountsOutcomesAndCooldowns() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: Self.topggPath, [.tooManyRequests(retryAfter: "3600")])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "1520", "--users", "88000"])
            _ = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            try await daemon.waitForStatus("both answers recorded") { status in
                try Self.target(status, "topgg")["state"] as? String == "rate_limited"
                    && Self.target(status, "dbl")["last_status"] as? Int == 200
            }
            #expect(try await daemon.stop() == 0)

            let again = try await daemon.restart()
            // The restarted daemon has loaded what it had: only then can "nobody was hammered" mean anything.
            let status = try await again.waitForStatus("the saved state restored") { status in
                try Self.target(status, "topgg")["next_attempt_at"] is String
                    && Self.target(status, "dbl")["last_success_at"] is String
            }
            let bot = try #require((status["bots"] as? [[String: Any]])?.first)
            #expect((bot["counts"] as? [String: Any])?["servers"] as? Int == 1520)
            let topgg = try Self.target(status, "topgg")
            #expect(topgg["state"] as? String == "rate_limited")
            #expect(topgg["next_attempt_at"] is String)
            #expect(try Self.target(status, "dbl")["last_success_at"] is String)
            // Nobody was hammered by the restart: counted once the daemon has stopped, which waits for any
            // post it had started, so the check covers its whole run.
            #expect(try await again.stop() == 0)
            #expect(list.requests(path: Self.topggPath).count == 1)
            #expect(list.requests(path: Self.dblPath).count == 1)
        }
    }

    @Test func cachedCountsAreRepostedOnTheTimer() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, repost: "2s").render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 3, timeout: .seconds(12))
            for (earlier, later) in zip(posts, posts.dropFirst()) {
                let gap = earlier.receivedAt.duration(to: later.receivedAt)
                #expect(gap >= .milliseconds(1800) && gap <= .seconds(4), "repost gap \(gap)")
            }
            #expect(posts.allSatisfy { $0.body == #"{"guilds":10}"# })
        }
    }

    @Test func dryRunSendsNothingAndLogsTheRedactedRequest() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render, extraArgs: ["--dry-run"])
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            // Both would-be requests were made and logged (the startup notice also says "dry run").
            try await daemon.waitForLog(containing: "dry run: request not sent", occurrences: 2, timeout: .seconds(10))
            try await daemon.waitForStatus("both would-be posts recorded") { status in
                try ["topgg", "dbl"].allSatisfy { try Self.target(status, $0)["last_attempt_at"] is String }
            }
            #expect(list.requests().isEmpty)
            #expect(daemon.log().contains("[redacted]"))
            #expect(daemon.log().contains("\(list.baseURL)/topgg/v1/projects/@me/metrics"))
            Self.assertNoTokens(daemon.log())
            // Nothing reaches the state directory: the real daemon must not think it posted.
            let bots = (try? FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory.path + "/bots")) ?? []
            #expect(bots.isEmpty, "\(bots)")
        }
    }

    @Test func aReloadAppliesTheLogLevelAndRedactsTokensItAdds() async throws {
        try await FakeBotList.withServer { list in
            var quiet = Self.config(list)
            quiet.logLevel = "warning"
            let daemon = try await DaemonHarness.start(configTOML: quiet.render, extraArgs: ["--dry-run"])
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await daemon.ctl(["post"])
            #expect(!daemon.log().contains("dry run: request not sent"), "notice lines are below warning")
            // Raise the level and add a list whose token the daemon has never seen.
            let newToken = "new-SECRET-token-0003"
            var louder = Self.config(list)
            louder.logLevel = "info"
            louder.bot?.targets.append(.init("second", provider: "topgg", token: newToken, baseURL: "\(list.baseURL)/second"))
            try daemon.writeConfig(louder.render)
            let reload = try await daemon.ctl(["reload"])
            #expect(reload.exitCode == 0, "\(reload)")
            _ = try await daemon.ctl(["post", "--target", "second"])
            try await daemon.waitForLog(containing: "\(list.baseURL)/second/v1/projects/@me/metrics", timeout: .seconds(10))
            #expect(daemon.log().contains("dry run: request not sent"))
            #expect(!daemon.log().contains(newToken))
            Self.assertNoTokens(daemon.log())
            #expect(list.requests().isEmpty)
        }
    }

    @Test func botstatsctlExits3WhenTheDaemonIsNotRunning() async throws {
        let socket = "/tmp/bsd-no-daemon-\(UUID().uuidString.prefix(8)).sock"
        let result = try await ProcessRunner.run(Binaries.control, ["--socket", socket, "status"])
        #expect(result.exitCode == 3)
        #expect(result.stderr.contains(socket))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let viaEnv = try await ProcessRunner.run(Binaries.control, ["status"], environment: ["BOTSTATSD_SOCKET": socket])
        #expect(viaEnv.exitCode == 3)
        #expect(viaEnv.stderr.contains(socket))
        let usage = try await ProcessRunner.run(Binaries.control, ["set", "--servers", "-5", "--socket", socket])
        #expect(usage.exitCode == 2)
        let unknown = try await ProcessRunner.run(Binaries.control, ["frobnicate"])
        #expect(unknown.exitCode == 2)
    }

    @Test func badConfigurationExits78AndCheckConfigNamesTheKey() async throws {
        let dir = try TemporaryDirectory.make(prefix: "bsd-cfg-")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("botstatsd.toml")
        try """
        [bot]
        id = "123456789012345678"
        repost_interval = "soon"

        [targets.topgg]
        token_file = "\(dir.path)/missing-token"
        """.write(to: file, atomically: true, encoding: .utf8)
        let check = try await ProcessRunner.run(Binaries.daemon, ["--check-config", "--config", file.path])
        #expect(check.exitCode == 78)
        #expect(check.stderr.contains("bot.repost_interval"))
        #expect(check.stderr.contains("targets.topgg.token_file"))
        #expect(check.stderr.contains(file.path))
        let start = try await ProcessRunner.run(Binaries.daemon, ["--config", file.path])
        #expect(start.exitCode == 78)

        let token = dir.appendingPathComponent("token")
        try "abcdefgh".write(to: token, atomically: true, encoding: .utf8)
        try """
        [bot]
        id = "123456789012345678"

        [targets.topgg]
        token_file = "\(token.path)"
        """.write(to: file, atomically: true, encoding: .utf8)
        let good = try await ProcessRunner.run(Binaries.daemon, ["--check-config"], environment: ["BOTSTATSD_CONFIG": file.path])
        #expect(good.exitCode == 0, "\(good.stderr)")
        #expect(good.stdout == "OK\n")
    }
}
