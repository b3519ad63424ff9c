import NIOCore
import Synchronization

/// The state ``FakeBotList`` shares with its connection handlers: the requests received, the scripted responses
/// still to serve, and the open connections (so shutdown can close keep-alive connections promptly).
///
/// Handlers run on NIO event-loop threads and tests read from their own tasks, hence the `Mutex`.
final class FakeBotListLedger: Sendable {
    private struct Script {
        var queue: [FakeResponse]
        var fallback: FakeResponse
    }

    private struct State {
        var requests: [RecordedRequest] = []
        var scripts: [String: Script] = [:]
        var connections: [ObjectIdentifier: any Channel] = [:]
        var closed = false
        /// Requests received and not yet answered, and the most there ever were at once.
        /// What an unscripted path gets.
        var unscripted = FakeResponse.ok
        var unanswered = 0
        var mostUnanswered = 0
    }

    private let state = Mutex(State())

    /// Stores `request` and returns the response to serve for it.
    ///
    /// A script registered for the full target (`/a?b=c`) wins over one for the path alone (`/a`); unscripted
    /// paths get ``FakeResponse/ok`` unless ``answerUnscripted(with:)`` said otherwise.
    func record(_ request: RecordedRequest) -> FakeResponse {
        state.withLock { state in
            state.requests.append(request)
            state.unanswered += 1
            state.mostUnanswered = max(state.mostUnanswered, state.unanswered)
            for key in [request.path, request.pathWithoutQuery] {
                guard var script = state.scripts[key] else {
                    continue
                }
                if script.queue.isEmpty {
                    return script.fallback
                }
                let next = script.queue.removeFirst()
                state.scripts[key] = script
                return next
            }
            return state.unscripted
        }
    }

    /// What every unscripted path gets from now on (``FakeResponse/ok`` until this is called).
    func answerUnscripted(with response: FakeResponse) {
        state.withLock { $0.unscripted = response }
    }

    /// Replaces the script of `path`: `responses` in order, then `fallback` for every later request.
    func script(path: String, _ responses: [FakeResponse], then fallback: FakeResponse) {
        state.withLock { $0.scripts[path] = Script(queue: responses, fallback: fallback) }
    }

    /// Called as a request's answer (or its scripted fault) goes out.
    func answered() {
        state.withLock { $0.unanswered -= 1 }
    }

    /// The most requests that were ever received and not yet answered at the same time.
    var mostUnansweredAtOnce: Int {
        state.withLock { $0.mostUnanswered }
    }

    /// Every request received, oldest first.
    func requests() -> [RecordedRequest] {
        state.withLock { $0.requests }
    }

    /// Forgets every recorded request (scripts are kept).
    func clearRequests() {
        state.withLock { $0.requests.removeAll() }
    }

    /// Tracks a new connection until it closes; one that opens after ``closeAll()`` is closed at once.
    func opened(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else {
                return false
            }
            state.connections[id] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLock { _ = $0.connections.removeValue(forKey: id) }
        }
    }

    /// Marks the server closed and returns the connections still open, for the caller to close; `nil` when it
    /// was already closed.
    func closeAll() -> [any Channel]? {
        state.withLock { state in
            guard !state.closed else {
                return nil
            }
            state.closed = true
            return Array(state.connections.values)
        }
    }

    /// Whether ``closeAll()`` has been called.
    var isClosed: Bool {
        state.withLock { $0.closed }
    }
}
