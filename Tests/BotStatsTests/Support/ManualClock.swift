import Synchronization
import Testing

/// A clock that moves only when a test calls `advance(by:)`; sleepers wake when their deadline passes.
///
/// Like swift-otel's `TestClock`, it lets a test wait for a sleep to be registered
/// (`waitForSleepers(_:)`, `waitForSleeper(until:)`) instead of guessing with a real sleep. A
/// task asleep on this clock does nothing until `advance(by:)` reaches its deadline, so a test
/// that sees a sleeper still registered after advancing knows that task has not moved: that is
/// how a negative check ("not before 30 s") is proved rather than hoped for.
final class ManualClock: Clock, Sendable {
    typealias Instant = TestInstant

    private struct Sleeper {
        let id: Int
        let deadline: TestInstant
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// A test waiting until the sleepers' deadlines satisfy `condition`.
    private struct SleeperWaiter {
        let id: Int
        let condition: @Sendable ([TestInstant]) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var now = TestInstant.at(0)
        var sleepers: [Sleeper] = []
        var waiters: [SleeperWaiter] = []
        var nextID = 0

        var deadlines: [TestInstant] { sleepers.map(\.deadline).sorted() }

        /// Takes the waiters whose condition now holds.
        mutating func satisfiedWaiters() -> [SleeperWaiter] {
            let deadlines = self.deadlines
            let satisfied = waiters.filter { $0.condition(deadlines) }
            waiters.removeAll { $0.condition(deadlines) }
            return satisfied
        }
    }

    private let state = Mutex(State())

    var now: TestInstant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// How many tasks are asleep on this clock.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The deadlines of the tasks asleep on this clock, earliest first.
    var deadlines: [TestInstant] { state.withLock { $0.deadlines } }

    func sleep(until deadline: TestInstant, tolerance: Duration?) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (resumeNow, satisfied) = state.withLock { state -> (Bool, [SleeperWaiter]) in
                    if deadline <= state.now || Task.isCancelled { return (true, []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (false, state.satisfiedWaiters())
                }
                for waiter in satisfied { waiter.continuation.resume(returning: true) }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    ///
    /// - Returns: how many sleepers it woke.
    @discardableResult
    func advance(by duration: Duration) -> Int {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
        return due.count
    }

    /// Returns once at least `count` tasks are asleep on this clock. Records an issue and throws
    /// when that does not happen within `timeout` of real time, so a broken worker fails the test
    /// instead of hanging it.
    func waitForSleepers(
        _ count: Int, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await waitForSleepers(
            "\(count) sleepers", timeout: timeout, sourceLocation: sourceLocation, where: { $0.count >= count })
    }

    /// Returns once a task is asleep on this clock until exactly `deadline`: the worker that
    /// decided to wait until then has done all it could before. Records an issue and throws when
    /// that does not happen within `timeout` of real time.
    func waitForSleeper(
        until deadline: TestInstant, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await waitForSleepers(
            "a sleeper until \(deadline)", timeout: timeout, sourceLocation: sourceLocation,
            where: { $0.contains(deadline) })
    }

    /// Returns once the sleepers' deadlines (earliest first) satisfy `condition`.
    func waitForSleepers(
        _ what: String, timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
        where condition: @escaping @Sendable ([TestInstant]) -> Bool
    ) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.withLock { state -> SleeperWaiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
        defer { timer.cancel() }
        let reached = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = state.withLock { state -> Bool in
                if condition(state.deadlines) { return true }
                state.waiters.append(SleeperWaiter(id: id, condition: condition, continuation: continuation))
                return false
            }
            if now { continuation.resume(returning: true) }
        }
        guard reached else {
            Issue.record("timed out waiting for \(what) (asleep until: \(deadlines))", sourceLocation: sourceLocation)
            throw CancellationError()
        }
    }
}
