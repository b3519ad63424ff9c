import NIOCore
import NIOHTTP1
import NIOPosix

/// A local HTTP/1.1 server on `127.0.0.1` that plays the bot-list websites for end-to-end tests.
///
/// It records every request and answers each path from a script of responses (status, headers, body, delay),
/// falling back to `200 {}`. Point a target's `base_url` at ``baseURL`` (optionally plus a prefix such as
/// `/topgg`, to tell targets apart by path). Keep-alive and pipelining work as with a real server; a delayed
/// response never holds up other connections. Call ``shutdown()`` at the end of the test.
///
/// ```swift
/// let lists = try await FakeBotList.start()
/// lists.script(path: "/v1/projects/@me/metrics", [.tooManyRequests(retryAfter: "1")])
/// // … start the daemon with base_url = "\(lists.baseURL)" …
/// let posts = try await lists.waitForRequests(path: "/v1/projects/@me/metrics", count: 2, timeout: .seconds(10))
/// try await lists.shutdown()
/// ```
final class FakeBotList: Sendable {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    let baseURL: String
    /// The ephemeral port the server listens on.
    let port: Int
    /// One `http://127.0.0.1:PORT` per listener, ``baseURL`` first: to the daemon's HTTP client
    /// each is another host, with its own connection pool.
    let baseURLs: [String]

    private let group: MultiThreadedEventLoopGroup
    private let serverChannels: [any Channel]
    private let ledger: FakeBotListLedger

    private init(group: MultiThreadedEventLoopGroup, serverChannels: [any Channel], ports: [Int], ledger: FakeBotListLedger) {
        self.group = group
        self.serverChannels = serverChannels
        self.port = ports[0]
        self.baseURLs = ports.map { "http://127.0.0.1:\($0)" }
        self.baseURL = baseURLs[0]
        self.ledger = ledger
    }

    /// Starts a server on an ephemeral port of `127.0.0.1`, with its own event loop; with
    /// `listeners` above one it listens on that many ports (see ``baseURLs``), all sharing one
    /// record of requests and scripts, as one list behind several hosts would.
    static func start(listeners: Int = 1) async throws -> FakeBotList {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let ledger = FakeBotListLedger()
        var channels: [any Channel] = []
        do {
            for _ in 0..<max(1, listeners) {
                channels.append(
                    try await ServerBootstrap(group: group)
                        .serverChannelOption(ChannelOptions.backlog, value: 256)
                        .childChannelInitializer { channel in
                            ledger.opened(channel)
                            return channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                                try channel.pipeline.syncOperations.addHandler(FakeBotListHandler(ledger: ledger))
                            }
                        }
                        .bind(host: "127.0.0.1", port: 0)
                        .get())
            }
            let ports = channels.compactMap { $0.localAddress?.port }
            guard ports.count == channels.count else {
                throw SupportError("FakeBotList bound a socket without a local port")
            }
            return FakeBotList(group: group, serverChannels: channels, ports: ports, ledger: ledger)
        } catch {
            for channel in channels { try? await channel.close() }
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Starts a server, runs `body` with it and shuts it down afterwards, also when `body` throws.
    static func withServer<Result: Sendable>(
        listeners: Int = 1, _ body: (FakeBotList) async throws -> Result
    ) async throws -> Result {
        let server = try await start(listeners: listeners)
        let result: Result
        do {
            result = try await body(server)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
        return result
    }

    /// Scripts the answers for `path`: `responses` in order, one per request, then `fallback` (by default
    /// `200 {}`) for every later request. Replaces any earlier script of that path.
    ///
    /// `path` is matched against the request's path without its query string, unless it contains a `?`, in
    /// which case it must equal the full request target.
    func script(path: String, _ responses: [FakeResponse], then fallback: FakeResponse = .ok) {
        ledger.script(path: path, responses, then: fallback)
    }

    /// What every unscripted path gets from now on (``FakeResponse/ok`` until this is called).
    func answerUnscripted(with response: FakeResponse) {
        ledger.answerUnscripted(with: response)
    }

    /// The most requests that were ever received and not yet answered at the same time.
    var mostUnansweredAtOnce: Int {
        ledger.mostUnansweredAtOnce
    }

    /// Every request received so far, oldest first.
    func requests() -> [RecordedRequest] {
        ledger.requests()
    }

    /// The requests received on `path` so far, oldest first (matched as in ``script(path:_:then:)``).
    func requests(path: String) -> [RecordedRequest] {
        let matchesFullTarget = path.contains("?")
        return ledger.requests().filter { request in
            (matchesFullTarget ? request.path : request.pathWithoutQuery) == path
        }
    }

    /// Forgets every request recorded so far; scripts are kept.
    func clearRequests() {
        ledger.clearRequests()
    }

    /// Waits until at least `count` requests have arrived on `path` and returns all requests on that path.
    ///
    /// - Throws: ``SupportError`` naming the path, the count expected and the count seen (and listing every
    ///   request received) when `timeout` passes first.
    func waitForRequests(path: String, count: Int, timeout: Duration) async throws -> [RecordedRequest] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let matching = requests(path: path)
            if matching.count >= count {
                return matching
            }
            if ContinuousClock.now >= deadline {
                let all = requests().map { "  \($0)" }.joined(separator: "\n")
                throw SupportError(
                    """
                    timed out after \(timeout) waiting for \(count) request(s) on \(path); saw \(matching.count). \
                    All requests received by \(baseURL):
                    \(all.isEmpty ? "  (none)" : all)
                    """
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops listening, closes every open connection and shuts the event loop down; safe to call twice.
    func shutdown() async throws {
        guard let connections = ledger.closeAll() else {
            return
        }
        for channel in serverChannels { try? await channel.close() }
        for connection in connections {
            try? await connection.close()
        }
        try await group.shutdownGracefully()
    }

    deinit {
        // A test that throws before shutdown() must not leave the event-loop thread running.
        if ledger.closeAll() != nil {
            for channel in serverChannels { channel.close(promise: nil) }
            group.shutdownGracefully { _ in }
        }
    }
}
