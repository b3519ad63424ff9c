import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The state directory, hardened, with the real binaries: one daemon per state directory; a state
/// file written under a clock years ahead, or holding counters at `Int.max`, neither silences nor
/// crashes the daemon; nothing planted in the state directory redirects a read or a write.
@Suite(.serialized) struct StateHardeningTests {
    static let botID = "123456789012345678"
    static let dblPath = "/dbl/bots/\(botID)/stats"
    static let sixHours: TimeInterval = 6 * 3600

    /// One bot with a discordbotlist target `dbl` pointed at `list` (none without a list).
    /// `stateDirectory` replaces the harness's own `state/`: a second daemon on a first one's state.
    static func config(_ list: FakeBotList?, repost: String = "1h", stateDirectory: URL? = nil) -> TestConfiguration {
        var config = TestConfiguration(
            bot: .init(
                id: botID, repostInterval: repost,
                targets: list.map { list in
                    [TestConfiguration.Target("dbl", provider: "discordbotlist", token: "tok-SECRET-dbl", baseURL: "\(list.baseURL)/dbl")]
                } ?? []),
            retry: .init(baseDelay: "100ms", maxDelay: "1m", timeout: "5s"))
        if let stateDirectory { config.stateDirectory = stateDirectory.path }
        return config
    }

    /// A format-1 state file for bot `main`; `members` follow `"id"` in the bot object.
    static func stateFile(_ members: String) -> String {
        #"{"format":1,"bot":{"id":"\#(botID)",\#(members)}}"#
    }

    /// `<dir>/state/bots`, created.
    static func botsDirectory(in dir: URL) throws -> URL {
        let bots = dir.appendingPathComponent("state/bots")
        try FileManager.default.createDirectory(at: bots, withIntermediateDirectories: true)
        return bots
    }

    /// Writes `content` as `<dir>/state/bots/main.json`.
    static func plant(_ content: String, in dir: URL) throws {
        try Data(content.utf8).write(to: botsDirectory(in: dir).appendingPathComponent("main.json"))
    }

    static func rfc3339(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

    static func date(_ value: Any?) -> Date? { (value as? String).flatMap { ISO8601DateFormatter().date(from: $0) } }

    static func bot(_ status: [String: Any]) throws -> [String: Any] {
        try #require((status["bots"] as? [[String: Any]])?.first)
    }

    static func target(_ status: [String: Any], _ name: String) throws -> [String: Any] {
        let targets = try #require(try bot(status)["targets"] as? [[String: Any]])
        return try #require(targets.first { $0["name"] as? String == name })
    }

    /// The saved bot object of `<dir>/state/bots/main.json`.
    static func savedBot(_ dir: URL) -> [String: Any]? {
        let file = dir.appendingPathComponent("state/bots/main.json")
        guard let data = FileManager.default.contents(atPath: file.path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["bot"] as? [String: Any]
    }

    /// `lstat`'s file type of `path` (`S_IFLNK`, `S_IFREG`, …), nil when nothing is there.
    static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    static func permissions(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    // MARK: - One daemon per state directory

    @Test func aSecondDaemonOnTheSameStateDirectoryExitsNamingTheFirstOnesPid() async throws {
        try await FakeBotList.withServer { list in
            let first = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { first.cleanup() }
            // Its own control socket, the first one's state directory.
            let second = try await DaemonHarness.start(
                configTOML: Self.config(list, stateDirectory: first.stateDirectory).render, waitForSocket: false)
            defer { second.cleanup() }
            let code = try await second.waitForExit(timeout: .seconds(10))
            #expect(code == 1, "\(second.log())")
            let log = second.log()
            #expect(log.contains("state directory \(first.stateDirectory.path) is in use by another botstatsd"), "\(log)")
            #expect(log.contains("(pid \(first.pid))"), "\(log)")
            #expect(!FileManager.default.fileExists(atPath: second.controlSocket))

            // The refused daemon changed nothing: the first one saves and posts as before.
            let set = try await first.ctl(["set", "--servers", "42"])
            #expect(set.exitCode == 0, "\(set)")
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect((Self.savedBot(first.directory)?["counts"] as? [String: Any])?["servers"] as? Int == 42)
        }
    }

    @Test func aDryRunRunsBesideTheDaemonAndTheLockPassesOnAtStop() async throws {
        let first = try await DaemonHarness.start(configTOML: Self.config(nil).render)
        defer { first.cleanup() }
        let lockFile = first.stateDirectory.appendingPathComponent("lock")
        #expect((try? String(contentsOf: lockFile, encoding: .utf8)) == "\(first.pid)\n")
        #expect(Self.permissions(lockFile.path) == 0o600)

        let dryRun = try await DaemonHarness.start(
            configTOML: Self.config(nil, stateDirectory: first.stateDirectory).render, extraArgs: ["--dry-run"])
        defer { dryRun.cleanup() }
        #expect(try await dryRun.ctl(["status"]).exitCode == 0)
        #expect((try? String(contentsOf: lockFile, encoding: .utf8)) == "\(first.pid)\n")
        #expect(try await dryRun.stop() == 0)

        // The lock dies with its holder: the next daemon on the directory starts at once.
        #expect(try await first.stop() == 0)
        let next = try await DaemonHarness.start(in: first.directory)
        defer { next.signal(SIGKILL) }
        #expect((try? String(contentsOf: lockFile, encoding: .utf8)) == "\(next.pid)\n")
        #expect(try await next.ctl(["status"]).exitCode == 0)
        #expect(try await next.stop() == 0)
    }

    // MARK: - Times from a wrong clock

    @Test func aStateFileTenYearsAheadWaitsAtMostSixHours() async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-future-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let future = Self.rfc3339(Date().addingTimeInterval(10 * 365 * 86400))
            try Self.plant(
                Self.stateFile(
                    #"""
                    "counts":{"servers":500,"updated_at":"\#(future)"},"counts_version":2,"last_posted_at":"\#(future)",
                    "targets":{"dbl":{"state":"rate_limited","delivered_version":1,"consecutive_failures":0,
                    "posts_total":3,"failures_total":1,"retries_total":0,"not_before":"\#(future)",
                    "last_attempt_at":"\#(future)","rate_limit":{"limit":60,"remaining":0,"reset_at":"\#(future)"}}}
                    """#), in: dir)
            let before = Date()
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            defer { daemon.signal(SIGKILL) }
            let status = try await daemon.statusJSON()
            let after = Date()
            let bot = try Self.bot(status)
            let target = try Self.target(status, "dbl")

            // The list's wait is capped, not dropped: it still asked for silence.
            let nextAttempt = try #require(Self.date(target["next_attempt_at"]), "\(target)")
            #expect(nextAttempt <= after.addingTimeInterval(Self.sixHours + 1), "next attempt \(nextAttempt)")
            #expect(nextAttempt >= before.addingTimeInterval(Self.sixHours - 2), "next attempt \(nextAttempt)")
            let rateLimit = try #require(target["rate_limit"] as? [String: Any])
            let resetAt = try #require(Self.date(rateLimit["reset_at"]), "\(rateLimit)")
            #expect(resetAt <= after.addingTimeInterval(Self.sixHours + 1), "reset at \(resetAt)")
            let lastAttempt = try #require(Self.date(target["last_attempt_at"]))
            #expect(lastAttempt <= after.addingTimeInterval(1))

            // A post that happened "in the future" happened at the latest now: the next repost is
            // one interval away, not ten years.
            let lastPosted = try #require(Self.date(bot["last_posted_at"]), "\(bot)")
            #expect(lastPosted <= after.addingTimeInterval(1))
            let nextRepost = try #require(Self.date(bot["next_repost_at"]), "\(bot)")
            #expect(nextRepost <= after.addingTimeInterval(Self.sixHours + 1), "next repost \(nextRepost)")

            #expect(daemon.log().contains("brought into range"), "\(daemon.log())")
            #expect(list.requests(path: Self.dblPath).isEmpty)
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test func aLastPostedAtInTheFutureStillLetsTheRepostTimerFire() async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-future-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let future = Self.rfc3339(Date().addingTimeInterval(10 * 365 * 86400))
            // Everything delivered: only the repost timer can post, and it is due 2 s after "now".
            try Self.plant(
                Self.stateFile(
                    #"""
                    "counts":{"servers":500,"updated_at":"\#(future)"},"counts_version":2,"last_posted_at":"\#(future)",
                    "targets":{"dbl":{"state":"ok","delivered_version":2,"consecutive_failures":0,
                    "posts_total":1,"failures_total":0,"retries_total":0,"rate_limit":{}}}
                    """#), in: dir)
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list, repost: "2s").render)
            defer { daemon.signal(SIGKILL) }
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(15))
            #expect(posts[0].body == #"{"guilds":500}"#)
            #expect(try await daemon.stop() == 0)
        }
    }

    // MARK: - Counters and counts out of range

    @Test func countersAtIntMaxStartPostAndSaturate() async throws {
        try await FakeBotList.withServer { list in
            // One failure then success: every counter the engine adds to is counted once more.
            list.script(path: Self.dblPath, [FakeResponse(status: 500)], then: .ok)
            let dir = try TemporaryDirectory.make(prefix: "bsd-intmax-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let max = Int.max
            try Self.plant(
                Self.stateFile(
                    #"""
                    "counts":{"servers":500,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":2,
                    "targets":{"dbl":{"state":"retrying","delivered_version":1,"consecutive_failures":\#(max),
                    "posts_total":\#(max),"failures_total":\#(max),"retries_total":\#(max),
                    "failure_classes":{"5xx":\#(max),"timeout":-3},"rate_limit":{"limit":\#(max),"remaining":-1}}}
                    """#), in: dir)
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            defer { daemon.signal(SIGKILL) }
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 2, timeout: .seconds(15))
            #expect(posts[1].body == #"{"guilds":500}"#)
            let target = try Self.target(
                try await daemon.waitForStatus("dbl ok") { try Self.target($0, "dbl")["state"] as? String == "ok" }, "dbl")
            #expect(target["state"] as? String == "ok", "\(target)")
            #expect(daemon.isRunning)
            for key in ["posts_total", "failures_total", "retries_total"] {
                let value = try #require(target[key] as? Int, "\(key): \(target)")
                #expect(value >= 1 << 53 && value < Int.max, "\(key) = \(value)")
            }
            #expect(target["consecutive_failures"] as? Int == 0)
            let aside = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("state/bots").path)
                .filter { $0.contains("corrupt") }
            #expect(aside.isEmpty, "a file with merely large counters is kept: \(aside)")
            #expect(try await daemon.stop() == 0)
            #expect(Self.savedBot(dir) != nil)
        }
    }

    @Test func aCountsVersionAtUInt64MaxStillTakesNewCounts() async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-version-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let max = UInt64.max
            // Posted a minute ago: nothing is due at the start.
            let posted = Self.rfc3339(Date().addingTimeInterval(-60))
            try Self.plant(
                Self.stateFile(
                    #"""
                    "counts":{"servers":500,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":\#(max),"last_posted_at":"\#(posted)",
                    "targets":{"dbl":{"state":"ok","delivered_version":\#(max),"consecutive_failures":0,
                    "posts_total":1,"failures_total":0,"retries_total":0,"rate_limit":{}}}
                    """#), in: dir)
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            defer { daemon.signal(SIGKILL) }
            // The file is kept, not moved aside: its counts are good.
            let loaded = try Self.bot(try await daemon.statusJSON())["counts"] as? [String: Any]
            #expect(loaded?["servers"] as? Int == 500, "\(String(describing: loaded))")
            let set = try await daemon.ctl(["set", "--servers", "600"])
            #expect(set.exitCode == 0, "\(set)")
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(posts[0].body == #"{"guilds":600}"#)
            #expect(daemon.isRunning)
            // And after a restart the delivered counts are not posted again.
            #expect(try await daemon.stop() == 0)
            let restarted = try await DaemonHarness.start(in: dir)
            defer { restarted.signal(SIGKILL) }
            let status = try await restarted.waitForStatus("the delivered counts restored") {
                try Self.target($0, "dbl")["last_success_at"] is String
            }
            #expect(Self.date(try Self.target(status, "dbl")["next_attempt_at"]) == nil, "\(status)")
            // Counted once the daemon has stopped, which waits for any post it had started.
            #expect(try await restarted.stop() == 0)
            #expect(list.requests(path: Self.dblPath).count == 1)
        }
    }

    @Test(arguments: [
        ("negative servers", #""counts":{"servers":-5,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("servers above 10^12", #""counts":{"servers":10000000000000,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        (
            "absurd shard count",
            #""counts_version":0,"targets":{},"shard_count":1000000000000000,"shard_reports":{"0":{"servers":5,"updated_at":"2026-01-01T00:00:00Z"}}"#
        ),
    ])
    func aFileWithCountsNoSetCouldStoreIsMovedAside(kind: String, members: String) async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-absurd-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let content = Self.stateFile(members)
            try Self.plant(content, in: dir)
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            defer { daemon.signal(SIGKILL) }
            #expect(daemon.log().contains("no set could have stored"), "\(kind): \(daemon.log())")
            let bots = dir.appendingPathComponent("state/bots")
            let aside = try FileManager.default.contentsOfDirectory(atPath: bots.path).filter { $0.hasPrefix("main.json.corrupt-") }
            #expect(aside.count == 1, "\(kind)")
            if let first = aside.first {
                #expect(FileManager.default.contents(atPath: bots.appendingPathComponent(first).path) == Data(content.utf8))
            }
            let set = try await daemon.ctl(["set", "--servers", "77"])
            #expect(set.exitCode == 0, "\(kind): \(set)")
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(posts.allSatisfy { $0.body == #"{"guilds":77}"# }, "\(kind): \(posts)")
            #expect(try await daemon.stop() == 0)
        }
    }

    // MARK: - Symlinks in the state directory

    @Test func aSymlinkAtTheTemporaryFileNameIsNeverWrittenThrough() async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-link-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let bots = try Self.botsDirectory(in: dir)
            // Stands for a root-owned file such as /etc/shadow: the daemon runs as root in CI.
            let victim = dir.appendingPathComponent("victim")
            let original = Data("root:precious:0:0\n".utf8)
            try original.write(to: victim)
            let link = bots.appendingPathComponent("main.json.tmp").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim.path)

            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            defer { daemon.signal(SIGKILL) }
            // Left over from before the start: removed (the link itself), not followed.
            #expect(Self.fileType(link) == nil, "a leftover .tmp survived the start")
            #expect(FileManager.default.contents(atPath: victim.path) == original)

            // Planted while the daemon runs: never used.
            if Self.fileType(link) == nil {
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim.path)
            }
            for servers in [77, 78] {
                let set = try await daemon.ctl(["set", "--servers", "\(servers)"])
                #expect(set.exitCode == 0, "\(set)")
            }
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(FileManager.default.contents(atPath: victim.path) == original, "the write followed the link")
            #expect(Self.fileType(link) == S_IFLNK)
            let state = bots.appendingPathComponent("main.json").path
            #expect(Self.fileType(state) == S_IFREG)
            #expect(Self.permissions(state) == 0o600)
            #expect((Self.savedBot(dir)?["counts"] as? [String: Any])?["servers"] as? Int == 78)
            let temporary = try FileManager.default.contentsOfDirectory(atPath: bots.path).filter { $0.hasPrefix(".") }
            #expect(temporary.isEmpty, "temporary files left behind: \(temporary)")
            #expect(try await daemon.stop() == 0)
        }
    }

    @Test func aSymlinkedBotsDirectoryIsRefusedNamingThePath() async throws {
        let dir = try TemporaryDirectory.make(prefix: "bsd-link-")
        defer { try? FileManager.default.removeItem(at: dir) }
        let elsewhere = dir.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("state"), withIntermediateDirectories: true)
        let bots = dir.appendingPathComponent("state/bots").path
        try FileManager.default.createSymbolicLink(atPath: bots, withDestinationPath: elsewhere.path)

        let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(nil).render)
        defer { daemon.signal(SIGKILL) }
        let set = try await daemon.ctl(["set", "--servers", "5"])
        #expect(set.exitCode == 1, "\(set)")
        #expect(set.stderr.contains("\(bots): is a symbolic link"), "\(set)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
        #expect(daemon.isRunning)
        #expect(try await daemon.stop() == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }

    @Test func aSymlinkedStateFileIsMovedAsideNotReadThrough() async throws {
        let dir = try TemporaryDirectory.make(prefix: "bsd-link-")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bots = try Self.botsDirectory(in: dir)
        let other = dir.appendingPathComponent("other.json")
        let content = Data(Self.stateFile(#""counts":{"servers":4242,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#).utf8)
        try content.write(to: other)
        try FileManager.default.createSymbolicLink(
            atPath: bots.appendingPathComponent("main.json").path, withDestinationPath: other.path)

        let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(nil).render)
        defer { daemon.signal(SIGKILL) }
        let counts = try Self.bot(try await daemon.statusJSON())["counts"] as? [String: Any]
        #expect(counts?["servers"] as? Int != 4242, "read through the link: \(String(describing: counts))")
        #expect(daemon.log().contains("state file is a symbolic link"), "\(daemon.log())")
        let aside = try FileManager.default.contentsOfDirectory(atPath: bots.path).filter { $0.hasPrefix("main.json.corrupt-") }
        #expect(aside.count == 1)
        if let first = aside.first { #expect(Self.fileType(bots.appendingPathComponent(first).path) == S_IFLNK) }

        let set = try await daemon.ctl(["set", "--servers", "6"])
        #expect(set.exitCode == 0, "\(set)")
        #expect(Self.fileType(bots.appendingPathComponent("main.json").path) == S_IFREG)
        #expect(FileManager.default.contents(atPath: other.path) == content)
        #expect(try await daemon.stop() == 0)
    }
}
