import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Sharded bots, the drop guard and many bots per daemon, end to end.
@Suite(.serialized) struct ShardsAndBotsTests {
    static let botID = "123456789012345678"
    static let dblPath = "/dbl/bots/\(botID)/stats"
    static let topggPath = "/topgg/v1/projects/@me/metrics"

    /// discordbotlist and top.gg on `list`, sharing one token file.
    static func config(_ list: FakeBotList) -> TestConfiguration {
        .dblAndTopgg(botID: botID, on: list, token: "SECRET-shards")
    }

    @Test func eightShardProcessesReportingAtOnceSumExactlyAndSurviveARestart() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
                for shard in 0..<8 {
                    group.addTask {
                        try await daemon.ctl([
                            "set", "--shard-id", "\(shard)", "--shard-count", "8", "--servers", "\(1000 + shard)",
                            "--users", "\(10_000 + shard)",
                        ])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.exitCode == 0 }, "\(results)")
            #expect(results.filter { $0.stdout.contains("counts saved") }.count == 1)
            let servers = (0..<8).map { 1000 + $0 }.reduce(0, +)
            let users = (0..<8).map { 10_000 + $0 }.reduce(0, +)
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(posts.last?.body == #"{"guilds":\#(servers),"users":\#(users)}"#)
            let topgg = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            #expect(topgg.last?.body == #"{"server_count":\#(servers),"shard_count":8}"#)
            #expect(try await daemon.stop() == 0)

            let again = try await daemon.restart()
            let object = try await again.statusJSON()
            let bot = try #require((object["bots"] as? [[String: Any]])?.first)
            #expect((bot["counts"] as? [String: Any])?["servers"] as? Int == servers)
            let shards = try #require(bot["shards"] as? [String: Any])
            #expect(shards["count"] as? Int == 8)
            #expect(shards["reported"] as? Int == 8)
            // One shard restarts and reports a new share: the total moves by exactly that.
            _ = try await again.ctl(["set", "--shard-id", "3", "--shard-count", "8", "--servers", "1500"])
            let later = try await list.waitForRequests(path: Self.topggPath, count: 2, timeout: .seconds(10))
            #expect(later.last?.body == #"{"server_count":\#(servers - 1003 + 1500),"shard_count":8}"#)
            _ = try await again.stop()
        }
    }

    @Test func aHalfStartedBotsDropIsHeldBackUntilForced() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "8000"])
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            let held = try await daemon.ctl(["set", "--servers", "120"])
            #expect(held.exitCode == 0)
            #expect(held.stdout.contains("counts held back (120 servers): fell from 8000 to 120"), "\(held)")
            let status = try await daemon.ctl(["status"])
            #expect(status.stdout.contains("HELD BACK: 120 servers"))
            #expect(status.stdout.contains("8000 servers"))
            let zero = try await daemon.ctl(["set", "--servers", "0"])
            #expect(zero.stdout.contains("held back"))
            // Both were held back, and the first post's outcome is in: whatever the held counts could have
            // set off would have been started by now.
            try await daemon.waitForLog(containing: "counts held back", occurrences: 2, timeout: .seconds(5))
            try await daemon.waitForStatus("the first post recorded") { status in
                try CoreLoopTests.target(status, "dbl")["posts_total"] as? Int == 1
            }
            #expect(list.requests(path: Self.dblPath).count == 1)
            let forced = try await daemon.ctl(["set", "--servers", "120", "--force"])
            #expect(forced.stdout.contains("counts saved"))
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 2, timeout: .seconds(10))
            #expect(posts[1].body == #"{"guilds":120}"#)
        }
    }

    @Test func botsInBotsDPostToTheirOwnListsWithTheirOwnTokens() async throws {
        try await FakeBotList.withServer { list in
            var config = TestConfiguration()
            for (index, name) in ["alpha", "beta", "gamma"].enumerated() {
                config.dropIns[name] = .init(
                    id: "10000000000000000\(index)",
                    targets: [
                        .init("dbl", provider: "discordbotlist", token: "tok-SECRET-\(name)", baseURL: "\(list.baseURL)/\(name)")
                    ])
            }
            let daemon = try await DaemonHarness.start(configTOML: config.render)
            defer { daemon.cleanup() }
            let ambiguous = try await daemon.ctl(["set", "--servers", "1"])
            #expect(ambiguous.exitCode == 1)
            #expect(ambiguous.stderr.contains("alpha, beta, gamma"))
            for (index, name) in ["alpha", "beta", "gamma"].enumerated() {
                let set = try await daemon.ctl(["set", "--bot", name, "--servers", "\(100 + index)"])
                #expect(set.exitCode == 0, "\(set)")
            }
            for (index, name) in ["alpha", "beta", "gamma"].enumerated() {
                let posts = try await list.waitForRequests(
                    path: "/\(name)/bots/10000000000000000\(index)/stats", count: 1, timeout: .seconds(10))
                #expect(posts[0].header("Authorization") == "tok-SECRET-\(name)")
                #expect(posts[0].body == #"{"guilds":\#(100 + index)}"#)
            }
            let beta = try await daemon.ctl(["status", "--bot", "beta", "--json"])
            #expect(beta.stdout.contains(#""name" : "beta""#))
            #expect(!beta.stdout.contains(#""name" : "alpha""#))
            #expect(list.requests().count == 3)
        }
    }

    @Test func aThousandBotsWithFiveListsEachLoadPostAndReport() async throws {
        try await FakeBotList.withServer { list in
            let bots = 1000
            let lists = 5
            let started = ContinuousClock.now
            var config = TestConfiguration()
            config.logLevel = "warning"
            for bot in 0..<bots {
                config.dropIns[String(format: "bot%04d", bot)] = .init(
                    id: "\(100_000_000_000_000_000 + bot)",
                    targets: (0..<lists).map { target in
                        .init("l\(target)", provider: "discordbotlist", token: "SECRET-many", baseURL: "\(list.baseURL)/l\(target)")
                    })
            }
            let daemon = try await DaemonHarness.start(configTOML: config.render, waitForSocket: true)
            defer { daemon.cleanup() }
            let loaded = started.duration(to: .now)
            let client = try RawControlClient.connect(path: daemon.controlSocket)
            defer { client.close() }
            let setStart = ContinuousClock.now
            for bot in 0..<bots {
                try client.send(#"{"v":1,"cmd":"set","bot":"bot\#(String(format: "%04d", bot))","servers":\#(bot + 1)}"#)
                let reply = try #require(try client.readLine(timeout: .seconds(10)))
                #expect(reply.contains(#""ok":true"#), "\(reply)")
            }
            try await waitUntil("\(bots * lists) posts", timeout: .seconds(120), interval: .milliseconds(100)) {
                list.requests().count >= bots * lists
            }
            let posted = list.requests().count
            let round = setStart.duration(to: .now)
            #expect(posted == bots * lists)
            let statusStart = ContinuousClock.now
            try client.send(#"{"v":1,"cmd":"status"}"#)
            let status = try #require(try client.readLine(timeout: .seconds(30)))
            let statusTime = statusStart.duration(to: .now)
            #expect(status.contains(#""name":"bot0999""#))
            let rss = Self.residentKiB(pid: daemon.pid)
            print(
                "1000 bots x 5 lists: start to ready \(loaded), 1000 sets + 5000 posts \(round), status \(statusTime) (\(status.utf8.count) bytes), RSS \(rss / 1024) MiB"
            )
            #expect(round < .seconds(120))
            #expect(statusTime < .seconds(5))
            #expect(rss < 512 * 1024, "resident memory \(rss) KiB")
        }
    }

    /// 100 lists on four hosts due at once, each answering after a second: the daemon keeps 64
    /// requests in flight and the rest wait their turn, instead of queuing every one in the HTTP
    /// client (whose 64-connection limit is per host; a round of 5,000 once held 124 MiB that
    /// way). All 100 still arrive.
    @Test func postsInFlightAreBoundedWhenManyListsAreDueAtOnce() async throws {
        try await FakeBotList.withServer(listeners: 4) { list in
            list.answerUnscripted(with: FakeResponse.ok.delayed(by: .seconds(1)))
            var config = TestConfiguration()
            config.logLevel = "warning"
            for bot in 0..<20 {
                config.dropIns[String(format: "bot%02d", bot)] = .init(
                    id: "\(200_000_000_000_000_000 + bot)",
                    targets: (0..<5).map { target in
                        .init(
                            "l\(target)", provider: "discordbotlist", token: "SECRET-bounded",
                            baseURL: "\(list.baseURLs[(bot * 5 + target) % 4])/l\(target)")
                    })
            }
            let daemon = try await DaemonHarness.start(configTOML: config.render, waitForSocket: true)
            defer { daemon.cleanup() }
            let client = try RawControlClient.connect(path: daemon.controlSocket)
            defer { client.close() }
            for bot in 0..<20 {
                try client.send(#"{"v":1,"cmd":"set","bot":"bot\#(String(format: "%02d", bot))","servers":\#(bot + 1)}"#)
                let reply = try #require(try client.readLine(timeout: .seconds(10)))
                #expect(reply.contains(#""ok":true"#), "\(reply)")
            }
            try await waitUntil("100 posts", timeout: .seconds(30), interval: .milliseconds(50)) {
                list.requests().count >= 100
            }
            #expect(list.requests().count == 100)
            #expect(list.mostUnansweredAtOnce == 64)
        }
    }

    static func residentKiB(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}
