import Foundation
import Logging
import Synchronization
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct PostingEngineTests {
    static let topggURL = "http://lists.test/topgg/v1/projects/@me/metrics"
    static let dblURL = "http://lists.test/dbl/bots/42/stats"

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)").path

    func configuration(repost: Duration = .seconds(3600)) -> Configuration {
        let topgg = TargetSettings(
            name: "topgg", request: .builtin(ProviderTable.provider(named: "topgg")!),
            baseURL: "http://lists.test/topgg", token: Secret("topgg-token-123"))
        let dbl = TargetSettings(
            name: "dbl", request: .builtin(ProviderTable.provider(named: "discordbotlist")!),
            baseURL: "http://lists.test/dbl", token: Secret("dbl-token-456"))
        return Configuration(
            path: "/test.toml",
            daemon: DaemonSettings(controlSocket: directory + "/c.sock", stateDirectory: directory),
            retry: RetrySettings(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60), timeout: .seconds(5)),
            bots: [BotSettings(name: "main", id: "42", repostInterval: repost, sourceFile: "/test.toml", targets: [topgg, dbl])])
    }

    func makeEngine(
        _ transport: ScriptedTransport, clock: ManualClock, repost: Duration = .seconds(3600), logger: Logger = Logger(label: "test")
    ) throws -> PostingEngine<ManualClock> {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return PostingEngine(
            configuration: configuration(repost: repost), transport: transport, stateFile: StateFile(directory: directory),
            clock: clock, logger: logger, pid: 1, random: { 0 })
    }

    /// Runs `body` with the engine's workers running, then stops them.
    func withRunning(_ engine: PostingEngine<ManualClock>, _ body: () async throws -> Void) async throws {
        let task = Task { try await engine.run() }
        defer { task.cancel() }
        try await body()
    }

    /// Two reports asked for within the same second are equal, so `LastStatusLine` answers a
    /// poller with the line it wrote last time: the dates worked out from the monotonic clock
    /// (the next repost) are whole seconds, as they are printed, not the wall clock's fraction
    /// of the moment each report was made.
    @Test func reportsWithinOneSecondAreEqual() async throws {
        let transport = ScriptedTransport()
        let clock = ManualClock()
        let engine = try makeEngine(transport, clock: clock)
        try await withRunning(engine) {
            _ = try await engine.set(bot: nil, servers: 1520, users: 88000, shards: 2)
            try await eventually("both lists posted") { await engine.status().bots[0].targets.allSatisfy { $0.state == .ok } }
            let first = await engine.status()
            let second = await engine.status()
            let nextRepost = try #require(first.bots[0].nextRepostAt)
            #expect(nextRepost.timeIntervalSince1970 == nextRepost.timeIntervalSince1970.rounded(.down))
            #expect(first == second)
        }
    }

    @Test func setIsPersistedBeforeItReturnsAndPostedToEveryTarget() async throws {
        let transport = ScriptedTransport()
        let clock = ManualClock()
        let engine = try makeEngine(transport, clock: clock)
        try await withRunning(engine) {
            let result = try await engine.set(bot: nil, servers: 1520, users: 88000, shards: 2)
            #expect(result.targets == ["topgg", "dbl"])
            let saved = StateFile(directory: directory).load(logger: Logger(label: "test"))
            #expect(saved.bots["main"]?.counts?.servers == 1520)
            try await eventually("both lists posted") { transport.requests.count == 2 }
            #expect(transport.requests(to: Self.topggURL).first?.body == #"{"server_count":1520,"shard_count":2}"#)
            #expect(transport.requests(to: Self.dblURL).first?.body == #"{"guilds":1520,"users":88000}"#)
            try await eventually("status ok") { await engine.status().bots[0].targets.allSatisfy { $0.state == .ok } }
        }
    }

    @Test func retryAfterHoldsOnlyTheListThatAskedForIt() async throws {
        let transport = ScriptedTransport()
        transport.script(url: Self.topggURL, [TransportResponse(status: 429, headers: [("Retry-After", "30")], body: [])])
        let clock = ManualClock()
        let engine = try makeEngine(transport, clock: clock)
        try await withRunning(engine) {
            _ = try await engine.set(bot: nil, servers: 10, users: nil, shards: nil)
            try await eventually("first round") { transport.requests.count == 2 }
            try await eventually("topgg waiting") { await engine.status().bots[0].targets[0].state == .rateLimited }
            #expect(await engine.status().bots[0].targets[1].state == .ok)
            // topgg's worker sleeps until the list's Retry-After has run out.
            try await clock.waitForSleeper(until: .at(30))
            clock.advance(by: .seconds(29))
            // Still asleep until 30 s, so it cannot have sent again.
            #expect(clock.deadlines.contains(.at(30)))
            #expect(transport.requests(to: Self.topggURL).count == 1)
            clock.advance(by: .seconds(1))
            try await eventually("retry after 30s") { transport.requests(to: Self.topggURL).count == 2 }
            try await eventually("topgg ok") { await engine.status().bots[0].targets[0].state == .ok }
            let topgg = await engine.status().bots[0].targets[0]
            #expect(topgg.retriesTotal == 1)
            #expect(topgg.postsTotal == 2)
        }
    }

    @Test func unauthorizedIsNotRetriedAndSaysWhy() async throws {
        let transport = ScriptedTransport()
        transport.script(url: Self.dblURL, [TransportResponse(status: 401, headers: [], body: Array(#"{"error":"bad token dbl-token-456"}"#.utf8))])
        let clock = ManualClock()
        let engine = try makeEngine(transport, clock: clock)
        try await withRunning(engine) {
            _ = try await engine.set(bot: nil, servers: 10, users: nil, shards: nil)
            try await eventually("dbl unauthorized") { await engine.status().bots[0].targets[1].state == .unauthorized }
            clock.advance(by: .seconds(120))
            #expect(transport.requests(to: Self.dblURL).count == 1)
            let dbl = await engine.status().bots[0].targets[1]
            #expect(dbl.lastStatus == 401)
            #expect(dbl.lastError?.contains("check the token") == true)
            #expect(dbl.lastError?.contains("dbl-token-456") == false)
            // dbl's worker handles one thing at a time: a retry would go out before the next
            // counts do. So the next request dbl sees must carry the new counts.
            _ = try await engine.set(bot: nil, servers: 11, users: nil, shards: nil)
            try await eventually("dbl sent again") { transport.requests(to: Self.dblURL).count >= 2 }
            let sent = transport.requests(to: Self.dblURL)
            #expect(sent.count == 2)
            #expect(sent.last?.body == #"{"guilds":11}"#)
        }
    }

    @Test func cachedCountsAreRepostedEveryInterval() async throws {
        let transport = ScriptedTransport()
        let clock = ManualClock()
        let engine = try makeEngine(transport, clock: clock, repost: .seconds(600))
        try await withRunning(engine) {
            _ = try await engine.set(bot: nil, servers: 10, users: nil, shards: nil)
            try await eventually("first round") { transport.requests.count == 2 }
            #expect(await engine.status().bots[0].nextRepostInSeconds == 600)
            try await clock.waitForSleeper(until: .at(600))
            clock.advance(by: .seconds(599))
            // The repost timer is still asleep until 600 s, so no round can have started.
            #expect(clock.deadlines.contains(.at(600)))
            #expect(transport.requests.count == 2)
            clock.advance(by: .seconds(1))
            try await eventually("second round") { transport.requests.count == 4 }
        }
    }

    @Test func restartRestoresCountsOutcomesAndCooldowns() async throws {
        let transport = ScriptedTransport()
        transport.script(url: Self.topggURL, [TransportResponse(status: 429, headers: [("Retry-After", "3600")], body: [])])
        let clock = ManualClock()
        let first = try makeEngine(transport, clock: clock)
        try await withRunning(first) {
            _ = try await first.set(bot: nil, servers: 77, users: nil, shards: nil)
            try await eventually("deferred") { await first.status().bots[0].targets[0].nextAttemptAt != nil }
            try await eventually("dbl ok") { await first.status().bots[0].targets[1].lastSuccessAt != nil }
        }
        await first.flush()
        let second = try makeEngine(transport, clock: ManualClock())
        let status = await second.status().bots[0]
        #expect(status.counts.servers == 77)
        #expect(status.targets[0].state == .rateLimited)
        #expect(status.targets[1].lastSuccessAt != nil)
        let wait = status.targets[0].nextAttemptAt.map { $0.timeIntervalSinceNow } ?? 0
        #expect(wait > 3500 && wait <= 3600)
    }

    @Test func unknownBotIsAClearError() async throws {
        let engine = try makeEngine(ScriptedTransport(), clock: ManualClock())
        await #expect(throws: ControlError.unknownBot("other", known: ["main"])) {
            try await engine.set(bot: "other", servers: 1, users: nil, shards: nil)
        }
    }

    /// The shard summary is worked out once and shown from a cache until the reports change or
    /// a report goes stale; the cache never hides a shard that went stale.
    @Test func theCachedShardSummaryStillSeesShardsGoStale() async throws {
        final class WallClock: Sendable {
            let now = Mutex(Date(timeIntervalSince1970: 2_000_000_000))
        }
        let wall = WallClock()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let engine = PostingEngine(
            configuration: configuration(repost: .seconds(3600)), transport: ScriptedTransport(),
            stateFile: StateFile(directory: directory), clock: ManualClock(), logger: Logger(label: "test"), pid: 1,
            wallClock: { wall.now.withLock { $0 } }, random: { 0 })
        _ = try await engine.set(bot: nil, update: CountsUpdate(servers: 10, shardID: 0, shardCount: 2))
        _ = try await engine.set(bot: nil, update: CountsUpdate(servers: 12, shardID: 1, shardCount: 2))
        #expect(await engine.status().bots[0].shards?.stale == [])
        #expect(await engine.status().bots[0].shards?.stale == [])
        // shard_timeout is 2 × repost_interval: two hours and a second later both are stale.
        wall.now.withLock { $0 = $0.addingTimeInterval(7201) }
        #expect(await engine.status().bots[0].shards?.stale == [0, 1])
        _ = try await engine.set(bot: nil, update: CountsUpdate(servers: 12, shardID: 1, shardCount: 2))
        let shards = await engine.status().bots[0].shards
        #expect(shards?.stale == [0])
        #expect(shards?.staleCount == 1)
    }

    /// `set`s that arrive together share writes: 400 shard reports at once are all durable when
    /// answered, in far fewer writes than reports (a group commit).
    @Test func concurrentSetsShareOneWrite() async throws {
        let engine = try makeEngine(ScriptedTransport(), clock: ManualClock())
        try await withRunning(engine) {
            try await eventually("persistence loop runs") { await engine.persistence.running }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for shard in 0..<400 {
                    group.addTask {
                        _ = try await engine.set(bot: nil, update: CountsUpdate(servers: 1, shardID: shard, shardCount: 400))
                    }
                }
                try await group.waitForAll()
            }
            let saved = StateFile(directory: directory).load(logger: Logger(label: "test"))
            #expect(saved.bots["main"]?.shardReports?.count == 400)
            #expect(saved.bots["main"]?.counts?.servers == 400)
            let batches = await engine.persistence.batchesWritten
            #expect(batches < 100, "\(batches) writes for 400 sets")
        }
    }
}
