import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// `DaemonClock` sleeps as long as asked on an event loop's timer, and cancellation ends a
/// sleep at once, however long it was.
@Suite struct DaemonClockTests {
    @Test func sleepsAtLeastUntilTheDeadline() async throws {
        let clock = DaemonClock()
        let start = clock.now
        try await clock.sleep(for: .milliseconds(50))
        let slept = start.duration(to: clock.now)
        #expect(slept >= .milliseconds(50))
        #expect(slept < .seconds(5))
    }

    @Test func aDeadlineInThePastReturnsAtOnce() async throws {
        let clock = DaemonClock()
        let start = clock.now
        try await clock.sleep(until: start.advanced(by: .seconds(-10)))
        #expect(start.duration(to: clock.now) < .seconds(1))
    }

    @Test func cancellationEndsAnHourLongSleepAtOnce() async throws {
        let clock = DaemonClock()
        let start = clock.now
        let sleeper = Task { try await clock.sleep(for: .seconds(3600)) }
        try await clock.sleep(for: .milliseconds(20))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(start.duration(to: clock.now) < .seconds(5))
    }

    @Test func aTaskCancelledBeforeItSleepsDoesNotSleep() async throws {
        let clock = DaemonClock()
        let start = clock.now
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(3600))
        }
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(start.duration(to: clock.now) < .seconds(5))
    }

    /// A timer can fire on its event loop before the sleeping task has stored its continuation;
    /// that sleep must end normally, not as if cancelled (issue 11: workers ended for good).
    @Test func aTimerThatFiresFirstStillEndsTheSleepNormally() async throws {
        let clock = DaemonClock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<3000 { try await clock.sleep(for: .microseconds(20)) }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func manySleepsEndInDeadlineOrder() async throws {
        let clock = DaemonClock()
        let order = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in [3, 1, 2] {
                group.addTask {
                    try await clock.sleep(for: .milliseconds(40 * index))
                    return index
                }
            }
            var order: [Int] = []
            for try await index in group { order.append(index) }
            return order
        }
        #expect(order == [1, 2, 3])
    }
}
