import BotStatsProtocol

/// Runs `operation` until it returns or `deadline` passes on `clock`, whichever comes first, and
/// cancels the other; returns whether `operation` finished in time.
///
/// Cancelling the caller ends both at once. `operation` must honour cancellation for the
/// deadline to bound the wait.
@discardableResult
func untilDeadline<C: Clock>(
    _ deadline: C.Instant, on clock: C, _ operation: @escaping @Sendable () async -> Void
) async -> Bool where C.Duration == Duration {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await operation()
            return true
        }
        group.addTask {
            try? await clock.sleep(until: deadline, tolerance: nil)
            return false
        }
        let finished = await group.next() ?? false
        group.cancelAll()
        return finished
    }
}
