import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct WatchdogServiceTests {
    /// Answers `healthyBeats` heartbeats, then never again: a wedged work loop.
    final class WedgingProbe: WatchdogProbe {
        let remaining: Mutex<Int>
        /// Heartbeats that are stuck: the service is inside one of them.
        let wedged = Mutex(0)
        init(healthyBeats: Int) { remaining = Mutex(healthyBeats) }
        var wedgedCount: Int { wedged.withLock { $0 } }
        func heartbeat() async {
            let healthy = remaining.withLock { value -> Bool in
                value -= 1
                return value >= 0
            }
            if healthy { return }
            wedged.withLock { $0 += 1 }
            while !Task.isCancelled { await Task.yield(); try? await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func pingsEveryHalfIntervalWhileTheEngineAnswers() async throws {
        let clock = ManualClock()
        let notifier = RecordingNotifier()
        let service = WatchdogService(interval: .seconds(10), probe: WedgingProbe(healthyBeats: 100), notifier: notifier, clock: clock)
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await eventually("first ping") { notifier.count == 1 }
        for expected in 2...4 {
            try await clock.waitForSleepers(1)
            let asleepUntil = clock.deadlines
            clock.advance(by: .seconds(4.9))
            // The loop still sleeps until the half interval, so it cannot have pinged.
            #expect(clock.deadlines == asleepUntil)
            #expect(notifier.count == expected - 1)
            clock.advance(by: .seconds(0.1))
            try await eventually("ping \(expected)") { notifier.count == expected }
        }
        #expect(notifier.messages.allSatisfy { $0 == "WATCHDOG=1" })
    }

    @Test func aWedgedEngineStopsThePings() async throws {
        let clock = ManualClock()
        let notifier = RecordingNotifier()
        let probe = WedgingProbe(healthyBeats: 2)
        let service = WatchdogService(interval: .seconds(10), probe: probe, notifier: notifier, clock: clock)
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await eventually("first ping") { notifier.count == 1 }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        try await eventually("second ping") { notifier.count == 2 }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        // The third heartbeat is never answered: the loop is inside it, and pings only after it.
        try await eventually("third heartbeat wedged") { probe.wedgedCount == 1 }
        for _ in 0..<5 {
            // Stuck in the heartbeat, the loop never sleeps again: nothing on the clock to wake.
            #expect(clock.advance(by: .seconds(5)) == 0)
        }
        #expect(notifier.count == 2)
    }

    @Test func cancellationEndsTheLoopWithoutAnError() async throws {
        let clock = ManualClock()
        let notifier = RecordingNotifier()
        let service = WatchdogService(interval: .seconds(10), probe: WedgingProbe(healthyBeats: 100), notifier: notifier, clock: clock)
        // `run()` does not throw: a cancelled sleep is the normal end of the loop.
        let task = Task { await service.run() }
        try await clock.waitForSleepers(1)
        task.cancel()
        try await withDeadline("the loop ends") { await task.value }
        #expect(clock.sleeperCount == 0)
        #expect(notifier.count == 1)
    }

    /// A service group stopped gracefully while the watchdog sleeps ends without an error, which
    /// is what makes `systemctl stop` leave the unit `inactive` rather than `failed`.
    @Test func aGracefulStopOfTheGroupIsNotAFailure() async throws {
        let clock = ManualClock()
        let notifier = RecordingNotifier()
        let service = WatchdogService(interval: .seconds(10), probe: WedgingProbe(healthyBeats: 100), notifier: notifier, clock: clock)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: Logger(label: "test")))
        let run = Task { try await group.run() }
        try await clock.waitForSleepers(1)
        await group.triggerGracefulShutdown()
        try await withDeadline("the group stops") { try await run.value }
    }

    @Test func theEngineAnswersHeartbeats() async throws {
        let engine = PostingEngine(
            configuration: Configuration(
                path: "/x", daemon: DaemonSettings(controlSocket: "/x", stateDirectory: "/nonexistent"), retry: RetrySettings(), bots: []),
            transport: ScriptedTransport(), stateFile: StateFile(directory: "/nonexistent"), clock: ManualClock(),
            logger: .init(label: "test"), pid: 1)
        let answered = try await withDeadline("the heartbeat's answer") {
            await engine.heartbeat()
            return true
        }
        #expect(answered)
    }
}
