import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct WatchdogServiceTests {
    final class RecordingNotifier: ServiceNotifier {
        let messages = Mutex<[String]>([])
        func notify(_ message: String) { messages.withLock { $0.append(message) } }
        var count: Int { messages.withLock { $0.count } }
    }

    /// Answers `healthyBeats` heartbeats, then never again: a wedged work loop.
    final class WedgingProbe: WatchdogProbe {
        let remaining: Mutex<Int>
        init(healthyBeats: Int) { remaining = Mutex(healthyBeats) }
        func heartbeat() async {
            let healthy = remaining.withLock { value -> Bool in
                value -= 1
                return value >= 0
            }
            if healthy { return }
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
            try await eventually("asleep") { clock.sleeperCount == 1 }
            clock.advance(by: .seconds(4.9))
            try await Task.sleep(for: .milliseconds(20))
            #expect(notifier.count == expected - 1)
            clock.advance(by: .seconds(0.1))
            try await eventually("ping \(expected)") { notifier.count == expected }
        }
        #expect(notifier.messages.withLock { $0 }.allSatisfy { $0 == "WATCHDOG=1" })
    }

    @Test func aWedgedEngineStopsThePings() async throws {
        let clock = ManualClock()
        let notifier = RecordingNotifier()
        let service = WatchdogService(interval: .seconds(10), probe: WedgingProbe(healthyBeats: 2), notifier: notifier, clock: clock)
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await eventually("first ping") { notifier.count == 1 }
        try await eventually("asleep") { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(5))
        try await eventually("second ping") { notifier.count == 2 }
        try await eventually("asleep") { clock.sleeperCount == 1 }
        for _ in 0..<5 {
            clock.advance(by: .seconds(5))
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(notifier.count == 2)
    }

    @Test func cancellationEndsTheLoopWithoutAnError() async throws {
        let clock = ManualClock()
        let notifier = RecordingNotifier()
        let service = WatchdogService(interval: .seconds(10), probe: WedgingProbe(healthyBeats: 100), notifier: notifier, clock: clock)
        // `run()` does not throw: a cancelled sleep is the normal end of the loop.
        let task = Task { await service.run() }
        try await eventually("asleep") { clock.sleeperCount == 1 }
        task.cancel()
        await task.value
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
        try await eventually("asleep") { clock.sleeperCount == 1 }
        await group.triggerGracefulShutdown()
        try await run.value
    }

    @Test func theEngineAnswersHeartbeats() async throws {
        let engine = PostingEngine(
            configuration: Configuration(
                path: "/x", daemon: DaemonSettings(controlSocket: "/x", stateDirectory: "/nonexistent"), retry: RetrySettings(), bots: []),
            transport: ScriptedTransport(), stateFile: StateFile(directory: "/nonexistent"), clock: ManualClock(),
            logger: .init(label: "test"), pid: 1)
        await engine.heartbeat()
    }
}
