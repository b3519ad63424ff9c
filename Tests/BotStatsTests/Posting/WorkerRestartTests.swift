import Foundation
import Logging
import Testing

@testable import BotStats

extension PostingEngine {
    /// Ends a target's wake-up stream, which ends its worker: what a bug in a worker would look
    /// like from the outside.
    fileprivate func endWorker(bot b: Int, target t: Int) {
        bots[b].targets[t].wake.finish()
    }

    /// Ends a bot's repost-timer wake-up stream, which ends its timer.
    fileprivate func endRepostTimer(bot b: Int) {
        bots[b].repostWake.finish()
    }
}

/// The engine's safety net: a worker or repost timer that returns while the daemon runs is
/// logged and started again, so its list is not silently never posted to again.
@Suite struct WorkerRestartTests {
    let engineTests = PostingEngineTests()

    @Test func aTargetWorkerThatEndsIsStartedAgainAndStillPosts() async throws {
        let transport = ScriptedTransport()
        let clock = ManualClock()
        let engine = try engineTests.makeEngine(transport, clock: clock)
        try await engineTests.withRunning(engine) {
            _ = try await engine.set(bot: nil, servers: 1520, users: 88000, shards: 2)
            try await eventually("both lists posted") { transport.requests.count == 2 }
            await engine.endWorker(bot: 0, target: 0)
            _ = try await engine.set(bot: nil, servers: 1600, users: 88000, shards: 2)
            try await eventually("top.gg posted the new counts") {
                transport.requests(to: PostingEngineTests.topggURL).contains { $0.body?.contains("1600") == true }
            }
        }
    }

    @Test func aRepostTimerThatEndsIsStartedAgainAndStillReposts() async throws {
        let transport = ScriptedTransport()
        let clock = ManualClock()
        let sink = RateLimitLogSink()
        let engine = try engineTests.makeEngine(
            transport, clock: clock, repost: .seconds(60), logger: Logger(label: "test") { _ in RateLimitLogHandler(sink: sink) })
        try await engineTests.withRunning(engine) {
            // With no counts yet the timer waits on its wake-up stream, so ending the stream
            // ends the timer; the error line says the engine saw it end and started another.
            await engine.endRepostTimer(bot: 0)
            try await eventually("the restart logged") {
                sink.entries.contains { $0.level == .error && $0.message.contains("repost timer ended unexpectedly") }
            }
            _ = try await engine.set(bot: nil, servers: 1520, users: 88000, shards: 2)
            try await eventually("both lists posted") { transport.requests.count == 2 }
            // The new timer sleeps until the repost; once the clock passes it, it reposts.
            try await clock.waitForSleepers(1)
            _ = clock.advance(by: .seconds(61))
            try await eventually("reposted to both lists") { transport.requests.count >= 4 }
        }
    }
}
