import Foundation
import Logging
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The engine started from a state file that a wrong clock or a counter at `Int.max` spoiled:
/// every wait is at most six hours and every counter counts on.
@Suite struct LoadedStateEngineTests {
    static let dblURL = "http://lists.test/dbl/bots/42/stats"

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loaded-\(UUID().uuidString)").path

    func makeEngine(_ transport: ScriptedTransport, saved: PersistedBot) throws -> PostingEngine<ManualClock> {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try StateFile(directory: directory).save(bot: "main", saved)
        let dbl = TargetSettings(
            name: "dbl", request: .builtin(ProviderTable.provider(named: "discordbotlist")!),
            baseURL: "http://lists.test/dbl", token: Secret("dbl-token-456"))
        let configuration = Configuration(
            path: "/test.toml",
            daemon: DaemonSettings(controlSocket: directory + "/c.sock", stateDirectory: directory),
            retry: RetrySettings(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60), timeout: .seconds(5)),
            bots: [BotSettings(name: "main", id: "42", repostInterval: .seconds(3600), sourceFile: "/test.toml", targets: [dbl])])
        return PostingEngine(
            configuration: configuration, transport: transport, stateFile: StateFile(directory: directory),
            clock: ManualClock(), logger: Logger(label: "test"), pid: 1, random: { 0 })
    }

    @Test func timesTenYearsAheadBecomeWaitsOfAtMostSixHours() async throws {
        let now = Date()
        let future = now.addingTimeInterval(10 * 365 * 86400)
        var record = PersistedTarget()
        record.state = .rateLimited
        record.deliveredVersion = 1
        record.notBefore = future
        record.rateLimit = RateLimitWindow(limit: 1, remaining: 0, resetAt: future)
        let saved = PersistedBot(
            id: "42", counts: BotCounts(servers: 9, updatedAt: future), countsVersion: 2, lastPostedAt: future,
            targets: ["dbl": record])
        let engine = try makeEngine(ScriptedTransport(), saved: saved)
        let status = await engine.status().bots[0]
        let latest = Date().addingTimeInterval(6 * 3600 + 1)
        #expect(try #require(status.targets[0].nextAttemptAt) <= latest)
        #expect(try #require(status.targets[0].rateLimit.resetAt) <= latest)
        #expect(try #require(status.lastPostedAt) <= Date())
        #expect(try #require(status.nextRepostAt) <= latest)
    }

    @Test func countersAtIntMaxCountOnThroughFailureAndSuccess() async throws {
        var record = PersistedTarget()
        record.deliveredVersion = 1
        record.postsTotal = .max
        record.failuresTotal = .max
        record.retriesTotal = .max
        record.consecutiveFailures = .max
        record.failureClasses = ["5xx": .max]
        let saved = PersistedBot(id: "42", counts: BotCounts(servers: 9, updatedAt: Date(timeIntervalSince1970: 0)), countsVersion: 2, targets: ["dbl": record])
        let transport = ScriptedTransport()
        transport.script(url: Self.dblURL, [TransportResponse(status: 503, headers: [], body: [])])
        let engine = try makeEngine(transport, saved: saved)
        let task = Task { await engine.run() }
        defer { task.cancel() }
        try await eventually("the retry is delivered") { transport.requests.count == 2 }
        try await eventually("status ok") { await engine.status().bots[0].targets[0].state == .ok }
        let target = await engine.status().bots[0].targets[0]
        let ceiling = StateLimits.counterCeiling
        #expect(target.postsTotal == ceiling + 2)
        #expect(target.failuresTotal == ceiling + 1)
        #expect(target.retriesTotal == ceiling + 1)
        #expect(target.failuresByClass["5xx"] == ceiling + 1)
        #expect(target.consecutiveFailures == 0)
    }
}
