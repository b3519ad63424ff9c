import Synchronization
import BotStatsProtocol

/// Runs async operations one at a time, in the order they arrive.
///
/// For work that must not interleave across its suspension points, such as a configuration
/// reload: read the file, validate it, apply it. An actor would not do, since an actor lets
/// another call in whenever the first one awaits.
final class AsyncSerialGate: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Operations waiting for their turn.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Waits for every operation that arrived earlier, then runs `operation`.
    func run<Value, Failure: Error>(_ operation: @Sendable () async throws(Failure) -> Value) async throws(Failure) -> Value {
        await enter()
        defer { leave() }
        return try await operation()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
    }

    private func leave() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiting.removeFirst()
        }?.resume()
    }
}
