import Synchronization

/// At most `limit` operations at once; the others wait for a slot in the order they arrived.
///
/// Bounds the requests in flight: when a thousand bots are due together, the posts beyond the
/// limit wait here as a suspended task each, instead of as a thousand live HTTP requests with
/// their buffers, timers and pool entries; a waiter whose task is cancelled leaves at once
/// (`run`). With `limit: 1` and `runToCompletion` it runs work one at a time that must not
/// interleave across its suspension points, such as a configuration reload (read the files,
/// validate, apply) or a state write; an actor would not do, since an actor lets another call in
/// whenever the first one awaits.
final class AsyncSlots: Sendable {
    private struct State {
        let limit: Int
        var free: Int
        var nextTicket: UInt64 = 0
        /// Tickets in arrival order; `waiting` says which still wait (a cancelled one is skipped).
        var queue: [UInt64] = []
        var head = 0
        var waiting: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        /// Tickets handed out whose fate (a slot now, or a place in the queue) is not yet decided.
        var undecided: Set<UInt64> = []
        /// Undecided tickets whose task was cancelled: they get no slot.
        var cancelledEarly: Set<UInt64> = []

        mutating func popNextWaiter() -> CheckedContinuation<Bool, Never>? {
            while head < queue.count {
                let ticket = queue[head]
                head += 1
                if let continuation = waiting.removeValue(forKey: ticket) {
                    compact()
                    return continuation
                }
            }
            compact()
            return nil
        }

        private mutating func compact() {
            if head == queue.count {
                queue.removeAll(keepingCapacity: queue.count <= 1024)
                head = 0
            } else if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
        }
    }

    private let state: Mutex<State>

    /// The most operations that run at once; at least one.
    init(limit: Int) {
        state = Mutex(State(limit: max(1, limit), free: max(1, limit)))
    }

    /// Operations holding a slot, and operations waiting for one.
    var counts: (running: Int, waiting: Int) {
        state.withLock { ($0.limit - $0.free, $0.waiting.count) }
    }

    /// Runs `operation` holding a slot; nil, without running it, when the task is cancelled
    /// while it waits for one.
    func run<Value>(_ operation: () async -> Value) async -> Value? {
        guard await acquire(cancellable: true) else { return nil }
        defer { release() }
        return await operation()
    }

    /// Runs `operation` holding a slot, after waiting for one however long it takes, cancelled
    /// or not: for work that must happen once it is asked for.
    func runToCompletion<Value, Failure: Error>(
        _ operation: @Sendable () async throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        _ = await acquire(cancellable: false)
        defer { release() }
        return try await operation()
    }

    /// Waits for a slot; false when `cancellable` and the task was cancelled first.
    private func acquire(cancellable: Bool) async -> Bool {
        let ticket = state.withLock { state -> UInt64 in
            state.nextTicket += 1
            state.undecided.insert(state.nextTicket)
            return state.nextTicket
        }
        guard cancellable else { return await waitForSlot(ticket) }
        return await withTaskCancellationHandler {
            await waitForSlot(ticket)
        } onCancel: {
            state.withLock { state -> CheckedContinuation<Bool, Never>? in
                if let continuation = state.waiting.removeValue(forKey: ticket) { return continuation }
                // Not yet waiting: it must not start. Already holding a slot: nothing to undo.
                if state.undecided.contains(ticket) { state.cancelledEarly.insert(ticket) }
                return nil
            }?.resume(returning: false)
        }
    }

    private func waitForSlot(_ ticket: UInt64) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let immediate = state.withLock { state -> Bool? in
                state.undecided.remove(ticket)
                if state.cancelledEarly.remove(ticket) != nil { return false }
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.queue.append(ticket)
                state.waiting[ticket] = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    private func release() {
        state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let next = state.popNextWaiter() { return next }
            state.free += 1
            return nil
        }?.resume(returning: true)
    }
}
