import NIOCore
import Synchronization
import BotStatsProtocol

/// The open connections of one listener (the control socket, the metrics endpoint): a cap on
/// how many, and who is idle.
///
/// When the cap is reached the connection idle the longest is closed to make room, then the one
/// that has waited longest for its client to read an answer, so hundreds of abandoned or
/// non-reading clients can never lock out an operator's `status`. Privileged peers (root, the
/// daemon's own user) have `reserved` slots beyond the cap that others cannot fill. A connection
/// is idle while no command of its runs; one idle longer than `idleTimeout` is closed by
/// `closeIdle(now:)`.
final class ControlConnections: Sendable {
    /// What a connection is doing.
    enum Phase {
        /// Waiting for its client's next request.
        case idle
        /// Running a command; never evicted.
        case running
        /// Waiting for its client to read an answer; evicted when room is needed.
        case writing
    }

    private struct Entry {
        let channel: any Channel
        var lastActivity: ContinuousClock.Instant
        var phase: Phase
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
    /// Slots beyond `limit` that only privileged peers may take.
    let reserved: Int
    let idleTimeout: Duration
    private let state = Mutex(State())

    init(limit: Int, reserved: Int = 0, idleTimeout: Duration) {
        self.limit = limit
        self.reserved = reserved
        self.idleTimeout = idleTimeout
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Registers `channel`, making room at the cap by closing the longest-idle connection, else
    /// the one stalled longest on a client that does not read; nil when every connection is
    /// running a command (the new one is then refused).
    func admit(_ channel: any Channel, privileged: Bool = false, now: ContinuousClock.Instant) -> Int? {
        let (id, evicted): (Int?, (any Channel)?) = state.withLock { state in
            var evicted: (any Channel)?
            if state.entries.count >= limit + (privileged ? reserved : 0) {
                let byAge: ((key: Int, value: Entry), (key: Int, value: Entry)) -> Bool = {
                    $0.value.lastActivity < $1.value.lastActivity
                }
                guard
                    let victim = state.entries.filter({ $0.value.phase == .idle }).min(by: byAge)
                        ?? state.entries.filter({ $0.value.phase == .writing }).min(by: byAge)
                else { return (nil, nil) }
                evicted = victim.value.channel
                state.entries[victim.key] = nil
            }
            state.nextID += 1
            state.entries[state.nextID] = Entry(channel: channel, lastActivity: now, phase: .idle)
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
            state.entries[id]?.phase = busy ? .running : .idle
            state.entries[id]?.lastActivity = now
            return busy || !state.draining
        }
    }

    /// Marks the connection as waiting for its client to read an answer.
    func writing(_ id: Int, now: ContinuousClock.Instant) {
        state.withLock { state in
            state.entries[id]?.phase = .writing
            state.entries[id]?.lastActivity = now
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
            return state.entries.values.filter { $0.phase != .running }.map(\.channel)
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

    /// Closes idle connections a few times per idle timeout while any are open, with no timer
    /// at all while none are (an idle daemon should sleep), until cancelled.
    func sweepIdleConnections() async {
        let period = idleTimeout / 4
        while !Task.isCancelled {
            await waitForConnection()
            try? await DaemonClock().sleep(for: period)
            closeIdle(now: .now)
        }
    }

    /// Closes every connection idle for longer than `idleTimeout`.
    func closeIdle(now: ContinuousClock.Instant) {
        let stale = state.withLock { state -> [any Channel] in
            let expired = state.entries.filter { $0.value.phase != .running && $0.value.lastActivity.duration(to: now) > idleTimeout }
            for key in expired.keys { state.entries[key] = nil }
            return expired.values.map(\.channel)
        }
        for channel in stale { channel.close(promise: nil) }
    }
}
