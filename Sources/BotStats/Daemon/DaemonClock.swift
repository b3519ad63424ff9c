import NIOCore
import NIOPosix
import Synchronization
import BotStatsProtocol

/// The clock the daemon runs on: `ContinuousClock`'s time, with sleeps timed by a NIO event
/// loop's timer.
///
/// A `Task.sleep` on Linux is a libdispatch timer that cancellation cannot disarm: the sleeping
/// task resumes, but the timer still fires when it was due and wakes a thread for nothing. Every
/// post races a timeout sleep that is then cancelled, so an idle daemon kept waking for posts long
/// finished (1.3–1.4 wakeups/s against 1.07 with this clock). A cancelled event-loop timer is
/// removed from its loop. Tests use `ManualClock`.
package struct DaemonClock: Clock {
    package typealias Instant = ContinuousClock.Instant

    /// Longest single timer; longer sleeps re-arm, which also corrects for time spent suspended
    /// (the event loop's clock stops during suspend, `ContinuousClock` does not).
    static let longestTimer: Duration = .seconds(86_400)

    private let eventLoops: any EventLoopGroup

    package init(eventLoops: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.eventLoops = eventLoops
    }

    package var now: Instant { ContinuousClock.now }
    package var minimumResolution: Duration { ContinuousClock().minimumResolution }

    package func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        while true {
            try Task.checkCancellation()
            let remaining = now.duration(to: deadline)
            guard remaining > .zero else { return }
            try await timer(min(remaining, Self.longestTimer))
        }
    }

    private func timer(_ duration: Duration) async throws {
        let pending = PendingTimer()
        let eventLoop = eventLoops.next()
        let nanoseconds = duration.wholeNanoseconds
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let scheduled = eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { pending.finish(throwing: nil) }
                pending.start(continuation, scheduled: scheduled)
            }
        } onCancel: {
            pending.finish(throwing: CancellationError())
        }
    }
}

/// One sleeping task's continuation and timer; whichever of the timer and cancellation comes
/// first resumes the task, exactly once, and a cancelled timer is removed from its loop.
///
/// The timer runs on an event loop thread and can fire before the sleeping task has stored its
/// continuation (a due or tiny sleep), so which of the two came first is remembered: a timer
/// that fired early still ends the sleep normally. Taking it for cancellation made a worker
/// believe it was being stopped, and it ended for good.
private final class PendingTimer: Sendable {
    private enum Outcome {
        case fired
        case cancelled
    }

    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var scheduled: Scheduled<Void>?
        var outcome: Outcome?
    }

    private let state = Mutex(State())

    /// Stores the continuation, or resumes it at once when the timer or cancellation came first.
    func start(_ continuation: CheckedContinuation<Void, any Error>, scheduled: Scheduled<Void>) {
        let earlier = state.withLock { state -> Outcome? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            state.scheduled = scheduled
            return nil
        }
        switch earlier {
        case nil:
            break
        case .fired:
            continuation.resume()
        case .cancelled:
            scheduled.cancel()
            continuation.resume(throwing: CancellationError())
        }
    }

    /// The timer fired (`error` nil) or the task was cancelled (`CancellationError`); the first
    /// call wins.
    func finish(throwing error: (any Error)?) {
        let (continuation, scheduled) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, Scheduled<Void>?) in
            guard state.outcome == nil else { return (nil, nil) }
            state.outcome = error == nil ? .fired : .cancelled
            defer {
                state.continuation = nil
                state.scheduled = nil
            }
            return (state.continuation, state.scheduled)
        }
        if let error {
            scheduled?.cancel()
            continuation?.resume(throwing: error)
        } else {
            continuation?.resume()
        }
    }
}
