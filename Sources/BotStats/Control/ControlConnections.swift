import NIOCore
import Synchronization

/// The open control connections: a cap on how many, and who is idle.
///
/// When the cap is reached the connection idle the longest is closed to make room, so hundreds of
/// abandoned clients can never lock out an operator's `status`. A connection is idle while no
/// command of its runs; one idle longer than `idleTimeout` is closed by `closeIdle(now:)`.
final class ControlConnections: Sendable {
    private struct Entry {
        let channel: any Channel
        var lastActivity: ContinuousClock.Instant
        var busy: Bool
    }

    private struct State {
        var nextID = 0
        var entries: [Int: Entry] = [:]
        /// The sweeper, while it waits for a first connection.
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
        /// The daemon is stopping: connections close as soon as they are idle.
        var draining = false
        /// The stop, while it waits for the last connection to close.
        var emptyWaiter: CheckedContinuation<Void, Never>?
    }

    let limit: Int
    let idleTimeout: Duration
    private let state = Mutex(State())

    init(limit: Int, idleTimeout: Duration) {
        self.limit = limit
        self.idleTimeout = idleTimeout
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Registers `channel`, closing the longest-idle connection when at the cap; nil when every
    /// connection is busy (the new one is then refused).
    func admit(_ channel: any Channel, now: ContinuousClock.Instant) -> Int? {
        let (id, evicted): (Int?, (any Channel)?) = state.withLock { state in
            var evicted: (any Channel)?
            if state.entries.count >= limit {
                guard let oldest = state.entries.filter({ !$0.value.busy }).min(by: { $0.value.lastActivity < $1.value.lastActivity })
                else { return (nil, nil) }
                evicted = oldest.value.channel
                state.entries[oldest.key] = nil
            }
            state.nextID += 1
            state.entries[state.nextID] = Entry(channel: channel, lastActivity: now, busy: false)
            return (state.nextID, evicted)
        }
        evicted?.close(promise: nil)
        state.withLock { state in
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
        return id
    }

    /// Returns once at least one connection is open (at once if one is), or when the calling
    /// task is cancelled. Lets the sweeper sleep without a timer while nobody is connected.
    func waitForConnection() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.entries.isEmpty || state.cancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }

    /// Marks the connection as running a command (`busy`) or done with one; false when a
    /// connection done with its command is to close because the daemon is stopping.
    @discardableResult
    func touch(_ id: Int, busy: Bool, now: ContinuousClock.Instant) -> Bool {
        state.withLock { state in
            state.entries[id]?.busy = busy
            state.entries[id]?.lastActivity = now
            return busy || !state.draining
        }
    }

    func remove(_ id: Int) {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.entries.removeValue(forKey: id)
            guard state.entries.isEmpty else { return nil }
            defer { state.emptyWaiter = nil }
            return state.emptyWaiter
        }?.resume()
    }

    /// The daemon is stopping: idle connections close now, busy ones once their command is
    /// answered.
    func beginDraining() {
        let idle = state.withLock { state -> [any Channel] in
            state.draining = true
            return state.entries.values.filter { !$0.busy }.map(\.channel)
        }
        for channel in idle { channel.close(promise: nil) }
    }

    /// Returns once no connection is open (at once if none is), or when the calling task is
    /// cancelled.
    func waitUntilEmpty() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.entries.isEmpty || Task.isCancelled { return true }
                    state.emptyWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.emptyWaiter = nil }
                return state.emptyWaiter
            }?.resume()
        }
    }

    /// Closes every connection idle for longer than `idleTimeout`.
    func closeIdle(now: ContinuousClock.Instant) {
        let stale = state.withLock { state -> [any Channel] in
            let expired = state.entries.filter { !$0.value.busy && $0.value.lastActivity.duration(to: now) > idleTimeout }
            for key in expired.keys { state.entries[key] = nil }
            return expired.values.map(\.channel)
        }
        for channel in stale { channel.close(promise: nil) }
    }
}
