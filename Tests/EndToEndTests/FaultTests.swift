import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault suite: whatever happens, nothing acknowledged is lost, nothing is hammered, nothing
/// crashes, and no token leaks.
@Suite(.serialized) struct FaultTests {
    static let dblPath = "/dbl/bots/123456789012345678/stats"

    /// One bot with a discordbotlist target per name in `targets`, each at its own path of `list` (no
    /// targets without a list).
    static func config(_ list: FakeBotList?, targets: [String] = ["dbl"], timeout: String = "2s") -> TestConfiguration {
        TestConfiguration(
            bot: .init(
                id: "123456789012345678",
                targets: list.map { list in
                    targets.map { name in
                        TestConfiguration.Target(name, provider: "discordbotlist", token: "tok-SECRET-\(name)", baseURL: "\(list.baseURL)/\(name)")
                    }
                } ?? []),
            retry: .init(maxAttempts: 2, baseDelay: "100ms", maxDelay: "1m", timeout: timeout))
    }

    static func assertNoTokens(_ texts: String...) {
        for text in texts { #expect(!text.contains("SECRET"), "a token leaked: \(text.prefix(500))") }
    }

    static func savedServers(_ dir: URL) -> Int? {
        guard let counts = savedBot(dir)?["counts"] as? [String: Any] else { return nil }
        return counts["servers"] as? Int
    }

    /// The `bot` object of `<dir>/state/bots/main.json`, if it is there and parses.
    static func savedBot(_ dir: URL) -> [String: Any]? {
        let file = dir.appendingPathComponent("state/bots/main.json")
        guard let data = FileManager.default.contents(atPath: file.path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["bot"] as? [String: Any]
    }

    /// Waits until the state file holds the outcome of `posts` posts to target `name`.
    static func waitForSavedPosts(_ posts: Int, to name: String, in dir: URL) async throws {
        try await waitUntil("\(posts) post(s) to \(name) saved", timeout: .seconds(5), describe: { "\(savedBot(dir) ?? [:])" }) {
            ((savedBot(dir)?["targets"] as? [String: Any])?[name] as? [String: Any])?["posts_total"] as? Int == posts
        }
    }

    @Test func killNineDuringAStreamOfSetsNeverLosesAnAcknowledgedCount() async throws {
        let first = try await DaemonHarness.start(configTOML: Self.config(nil).render)
        let dir = first.directory
        defer { first.cleanup() }
        _ = try await first.kill9()
        var next = 1000
        var checkedRounds = 0
        for round in 0..<50 {
            let daemon = try await DaemonHarness.start(in: dir)
            let progress = Mutex((acked: 0, sent: 0))
            let socket = daemon.controlSocket
            let start = next
            let writer = Task.detached {
                guard let client = try? RawControlClient.connect(path: socket) else { return }
                defer { client.close() }
                var servers = start
                while !Task.isCancelled {
                    progress.withLock { $0.sent = servers }
                    guard (try? client.send(#"{"v":1,"cmd":"set","servers":\#(servers)}"#)) != nil,
                        let reply = try? client.readLine(timeout: .seconds(5)), reply.contains(#""ok":true"#)
                    else { return }
                    progress.withLock { $0.acked = servers }
                    servers += 1
                }
            }
            // The kill lands at a random moment of a stream of sets that has begun: after the
            // first acknowledgement, however long a start takes on a busy machine.
            let begun = ContinuousClock.now.advanced(by: .seconds(5))
            while progress.withLock({ $0.acked }) == 0, ContinuousClock.now < begun {
                try await Task.sleep(for: .milliseconds(2))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...130)))
            _ = try await daemon.kill9()
            writer.cancel()
            _ = await writer.value
            let (acked, sent) = progress.withLock { ($0.acked, $0.sent) }
            let saved = Self.savedServers(dir)
            if acked > 0 {
                checkedRounds += 1
                let value = try #require(saved, "round \(round): state file missing or unparseable")
                #expect(value >= acked && value <= sent, "round \(round): saved \(value), acked \(acked), sent \(sent)")
            }
            next = max(sent, next) + 1
        }
        // Most rounds must have had sets acknowledged before the kill, or the test proves nothing.
        #expect(checkedRounds >= 40, "only \(checkedRounds) rounds acknowledged a set before the kill")
    }

    @Test(arguments: [
        ("truncated", Data(#"{"format":1,"bot":{"id":"123456789012345678","counts":{"servers":"#.utf8)),
        ("empty", Data()),
        ("binary garbage", Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37) })),
        ("wrong version", Data(#"{"format":99,"bot":{"id":"123456789012345678","counts_version":1,"targets":{}}}"#.utf8)),
    ])
    func aBrokenStateFileIsMovedAsideAndTheDaemonWorks(kind: String, content: Data) async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-state-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let bots = dir.appendingPathComponent("state/bots")
            try FileManager.default.createDirectory(at: bots, withIntermediateDirectories: true)
            try content.write(to: bots.appendingPathComponent("main.json"))
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            #expect(daemon.log().contains("<4>state file"), "\(kind): \(daemon.log())")
            let aside = try FileManager.default.contentsOfDirectory(atPath: bots.path).filter { $0.hasPrefix("main.json.corrupt-") }
            #expect(aside.count == 1, "\(kind)")
            #expect(FileManager.default.contents(atPath: bots.appendingPathComponent(aside[0]).path) == content)
            let set = try await daemon.ctl(["set", "--servers", "77"])
            #expect(set.exitCode == 0, "\(set)")
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(Self.savedServers(dir) == 77)
            _ = try await daemon.stop()
        }
    }

    @Test func aFullStateDirectoryFailsSetClearlyAndKeepsPostingTheCountsItHas() async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-full-")
            defer { try? FileManager.default.removeItem(at: dir) }
            let state = dir.appendingPathComponent("state")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            let mounted = try await ProcessRunner.run(command: "mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", state.path])
            let filler = state.appendingPathComponent("filler")
            defer { _ = try? FileManager.default.removeItem(at: filler) }
            let daemon = try await DaemonHarness.start(in: dir, configTOML: Self.config(list).render)
            defer { Task { _ = try? await ProcessRunner.run(command: "umount", ["-l", state.path]) } }
            _ = try await daemon.ctl(["set", "--servers", "100"])
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            // The post's outcome is on disk before the disk fills: the write that fails is the next set's.
            try await Self.waitForSavedPosts(1, to: "dbl", in: dir)
            if mounted.exitCode == 0 {
                // Fill the tmpfs to the last byte.
                let fd = open(filler.path, O_WRONLY | O_CREAT, 0o600)
                let block = [UInt8](repeating: 0, count: 4096)
                while write(fd, block, block.count) > 0 {}
                close(fd)
            } else {
                // No tmpfs here: make the write itself impossible instead.
                try FileManager.default.createDirectory(
                    at: state.appendingPathComponent("bots/main.json.tmp"), withIntermediateDirectories: true)
            }
            let refused = try await daemon.ctl(["set", "--servers", "200"])
            #expect(refused.exitCode == 1)
            #expect(refused.stderr.contains("state_write_failed"))
            #expect(refused.stderr.contains(mounted.exitCode == 0 ? "No space left on device" : "Is a directory"), "\(refused)")
            #expect(daemon.isRunning)
            let post = try await daemon.ctl(["post"])
            #expect(post.exitCode == 0)
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 2, timeout: .seconds(10))
            #expect(posts[1].body == #"{"guilds":100}"#)
            let status = try await daemon.ctl(["status", "--json"])
            #expect(status.stdout.contains(#""servers" : 100"#))
            _ = try await daemon.kill9()
        }
    }

    /// The fallback for machines without tmpfs, made certain: the state directory's `bots` is a plain file,
    /// so no state file can be written at all. `set` fails clearly, the daemon says so in its log, keeps
    /// serving and posting the counts it has, and takes new ones once the directory is back.
    @Test func anUnwritableStateDirectoryFailsSetClearlyAndKeepsServing() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let dir = daemon.directory
            #expect(try await daemon.ctl(["set", "--servers", "100"]).exitCode == 0)
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            try await Self.waitForSavedPosts(1, to: "dbl", in: dir)
            let bots = daemon.stateDirectory.appendingPathComponent("bots")
            try FileManager.default.removeItem(at: bots)
            try Data("not a directory\n".utf8).write(to: bots)

            let refused = try await daemon.ctl(["set", "--servers", "200"])
            #expect(refused.exitCode == 1, "\(refused)")
            #expect(refused.stderr.contains("state_write_failed"), "\(refused)")
            #expect(refused.stderr.lowercased().contains("not a directory"), "\(refused)")
            try await daemon.waitForLog(containing: "<3>counts not accepted", timeout: .seconds(5))
            #expect(daemon.isRunning)
            // Still serving: status answers with the counts in force, post sends them.
            let status = try await daemon.statusJSON()
            let bot = try #require((status["bots"] as? [[String: Any]])?.first)
            #expect((bot["counts"] as? [String: Any])?["servers"] as? Int == 100, "\(bot)")
            let post = try await daemon.ctl(["post"])
            #expect(post.exitCode == 0, "\(post)")
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 2, timeout: .seconds(10))
            #expect(posts[1].body == #"{"guilds":100}"#)

            // The directory comes back: the next set is saved and posted.
            try FileManager.default.removeItem(at: bots)
            try FileManager.default.createDirectory(at: bots, withIntermediateDirectories: false)
            let accepted = try await daemon.ctl(["set", "--servers", "300"])
            #expect(accepted.exitCode == 0, "\(accepted)")
            #expect(Self.savedServers(dir) == 300)
            let after = try await list.waitForRequests(path: Self.dblPath, count: 3, timeout: .seconds(10))
            #expect(after[2].body == #"{"guilds":300}"#)
            #expect(try await daemon.stop() == 0)
            Self.assertNoTokens(daemon.log())
        }
    }

    /// A stop whose final write fails says so; it used to log "state saved" all the same.
    @Test func aStopThatCannotSaveTheStateSaysSo() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            #expect(try await daemon.ctl(["set", "--servers", "100"]).exitCode == 0)
            try await Self.waitForSavedPosts(1, to: "dbl", in: daemon.directory)
            let bots = daemon.stateDirectory.appendingPathComponent("bots")
            try FileManager.default.removeItem(at: bots)
            try Data("not a directory\n".utf8).write(to: bots)
            #expect(try await daemon.ctl(["set", "--servers", "200"]).exitCode == 1)
            #expect(try await daemon.stop() == 0)
            let log = daemon.log()
            #expect(log.contains("<3>stopped; the state could not be saved"), "\(log)")
            #expect(!log.contains("state saved; stopped"), "\(log)")
        }
    }

    @Test func misbehavingListsCostBoundedTimeAndMemory() async throws {
        try await FakeBotList.withServer { list in
            let names = ["reset", "silent", "huge", "garbage", "redirect"]
            list.script(path: "/reset/bots/123456789012345678/stats", [], then: FakeResponse(fault: .resetConnection))
            list.script(path: "/silent/bots/123456789012345678/stats", [], then: FakeResponse(delay: .seconds(60)))
            list.script(path: "/huge/bots/123456789012345678/stats", [], then: FakeResponse(fault: .hugeBody(bytes: 100 * 1024 * 1024)))
            list.script(path: "/garbage/bots/123456789012345678/stats", [], then: FakeResponse(status: 200, body: "\u{0}\u{7F}not json tok-SECRET-garbage"))
            list.script(
                path: "/redirect/bots/123456789012345678/stats", [],
                then: FakeResponse(status: 302, headers: [("Location", "http://127.0.0.1:9/elsewhere")], body: ""))
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, targets: names).render)
            defer { daemon.cleanup() }
            let started = ContinuousClock.now
            _ = try await daemon.ctl(["set", "--servers", "10"])
            func byName(_ object: [String: Any]) -> [String: [String: Any]] {
                let list = ((object["bots"] as? [[String: Any]])?.first?["targets"] as? [[String: Any]]) ?? []
                return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as? String ?? "", $0) })
            }
            let settled = try await daemon.waitForStatus("every list settled", timeout: .seconds(20)) { object in
                let targets = byName(object)
                return names.allSatisfy { name in
                    let state = targets[name]?["state"] as? String
                    return state == "ok" || state == "rejected" || (targets[name]?["consecutive_failures"] as? Int ?? 0) >= 1
                }
            }
            let targets = byName(settled)
            #expect(started.duration(to: .now) < .seconds(20))
            #expect((targets["reset"]?["last_error"] as? String)?.contains("connection failed") == true, "\(targets["reset"] ?? [:])")
            #expect((targets["silent"]?["last_error"] as? String)?.contains("no answer within 2s") == true, "\(targets["silent"] ?? [:])")
            #expect(targets["huge"]?["state"] as? String == "ok")
            #expect(targets["garbage"]?["state"] as? String == "ok")
            #expect(targets["redirect"]?["state"] as? String == "rejected")
            #expect((targets["redirect"]?["last_error"] as? String)?.contains("redirects are not followed") == true)
            let rss = ShardsAndBotsTests.residentKiB(pid: daemon.pid)
            #expect(rss < 200 * 1024, "resident memory \(rss) KiB after a 100 MiB answer")
            #expect(daemon.isRunning)
            let metrics = try await daemon.ctl(["metrics"])
            Self.assertNoTokens(daemon.log(), metrics.stdout, try await daemon.ctl(["status", "--json"]).stdout)
        }
    }

    @Test func clockJumpsStayWithinTheDeferralRules() async throws {
        try await FakeBotList.withServer { list in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let farFuture = formatter.string(from: Date().addingTimeInterval(10 * 365 * 86400))
            let past = formatter.string(from: Date().addingTimeInterval(-86400))
            // The list's clock is three hours behind ours; its reset is 2 s after its own "now".
            let listNow = Date().addingTimeInterval(-3 * 3600)
            let skewed = [
                ("Date", formatter.string(from: listNow)), ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "\(Int(listNow.timeIntervalSince1970) + 2)"),
            ]
            list.script(path: "/future/bots/123456789012345678/stats", [FakeResponse(status: 429, headers: [("Retry-After", farFuture)])])
            list.script(path: "/past/bots/123456789012345678/stats", [FakeResponse(status: 429, headers: [("Retry-After", past)])])
            list.script(path: "/skewed/bots/123456789012345678/stats", [FakeResponse(status: 429, headers: skewed)])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, targets: ["future", "past", "skewed"]).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            let past2 = try await list.waitForRequests(path: "/past/bots/123456789012345678/stats", count: 2, timeout: .seconds(10))
            #expect(past2[0].receivedAt.duration(to: past2[1].receivedAt) < .seconds(2))
            let skewed2 = try await list.waitForRequests(path: "/skewed/bots/123456789012345678/stats", count: 2, timeout: .seconds(10))
            let gap = skewed2[0].receivedAt.duration(to: skewed2[1].receivedAt)
            #expect(gap >= .milliseconds(1500) && gap < .seconds(8), "waited \(gap) for a reset 2 s away on the list's clock")
            let object = try await daemon.statusJSON()
            let targets = try #require((object["bots"] as? [[String: Any]])?.first?["targets"] as? [[String: Any]])
            let future = try #require(targets.first { $0["name"] as? String == "future" })
            #expect(future["state"] as? String == "rate_limited")
            let next = try #require((future["next_attempt_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) })
            #expect(next.timeIntervalSinceNow <= 6 * 3600 + 5 && next.timeIntervalSinceNow > 6 * 3600 - 60, "deferred to \(next)")
            #expect(list.requests(path: "/future/bots/123456789012345678/stats").count == 1)
        }
    }
}
