@testable import BotStats
@testable import BotStatsProtocol
import Testing
import Synchronization

/// A transport that records requests and answers from a script per URL, then 200.
final class ScriptedTransport: StatsTransport {
    private struct State {
        var requests: [OutgoingRequest] = []
        var scripts: [String: [TransportResponse]] = [:]
        var hanging: Set<String> = []
    }

    private let state = Mutex(State())

    func script(url: String, _ responses: [TransportResponse]) {
        state.withLock { $0.scripts[url, default: []].append(contentsOf: responses) }
    }

    /// Requests to `url` get no answer until their task is cancelled, and then `.timeout`, as
    /// the real transport gives a request a stop cuts off.
    func hangUntilCancelled(url: String) {
        state.withLock { _ = $0.hanging.insert(url) }
    }

    var requests: [OutgoingRequest] { state.withLock { $0.requests } }

    func requests(to url: String) -> [OutgoingRequest] { requests.filter { $0.url == url } }

    func send(_ request: OutgoingRequest, timeout: Duration) async -> Result<TransportResponse, PostFailure> {
        let hangs = state.withLock { state -> Bool in
            state.requests.append(request)
            return state.hanging.contains(request.url)
        }
        if hangs {
            // Iterating a stream nobody yields to ends when the task is cancelled.
            let (stream, continuation) = AsyncStream<Void>.makeStream()
            for await _ in stream {}
            continuation.finish()
            return .failure(.timeout)
        }
        let response = state.withLock { state -> TransportResponse in
            guard var script = state.scripts[request.url], !script.isEmpty else {
                return TransportResponse(status: 200, headers: [], body: [])
            }
            let next = script.removeFirst()
            state.scripts[request.url] = script
            return next
        }
        return .success(response)
    }
}

/// Polls `condition` with short real sleeps; the engine's workers run on other tasks.
func eventually(_ what: String, timeoutMilliseconds: Int = 3000, _ condition: () async -> Bool) async throws {
    for _ in 0..<(timeoutMilliseconds / 5) {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}
