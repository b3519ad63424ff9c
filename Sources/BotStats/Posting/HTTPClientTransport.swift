import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import BotStatsProtocol

/// The real transport: one shared async-http-client `HTTPClient`, no redirects followed, at most
/// `maximumConcurrentRequests` requests in flight.
///
/// Redirects are not followed because a list that moved its API should be fixed in the
/// configuration, not silently sent our token at another address.
package struct HTTPClientTransport: StatsTransport {
    /// The requests in flight at once, as many as the connections the pool opens per host: when
    /// a thousand bots are due together the rest wait as suspended tasks, not as live requests
    /// queued in the pool with their buffers and timers (about 60 MiB for 5,000 of them).
    package static let defaultMaximumConcurrentRequests = 64

    private let client: HTTPClient
    private let slots: AsyncSlots

    /// Uses `client`, which the caller owns and shuts down.
    package init(client: HTTPClient, maximumConcurrentRequests: Int = defaultMaximumConcurrentRequests) {
        self.client = client
        self.slots = AsyncSlots(limit: maximumConcurrentRequests)
    }

    /// The client configuration the daemon uses for every list.
    package static func clientConfiguration(connectTimeout: Duration) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .nanoseconds(connectTimeout.wholeNanoseconds)
        configuration.decompression = .disabled
        // A refused or unresolvable list fails the request at once, and our own retry policy
        // decides when to try again. Left on, the pool kept reconnecting until the request's
        // deadline, so a refused connection was shown as "no answer within 30s".
        configuration.connectionPool.retryConnectionEstablishment = false
        // Posts to every list go out at once; several lists can share a host (a proxy, a test
        // server), and 8 connections per host, the default, would queue them behind each other.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = defaultMaximumConcurrentRequests
        return configuration
    }

    /// Sends `request` once a slot is free; its `timeout` runs from then. A task cancelled while
    /// it waits sends nothing and gets `.timeout`, which a stopping engine does not record.
    package func send(_ request: OutgoingRequest, timeout: Duration) async -> Result<TransportResponse, PostFailure> {
        await slots.run { await sendNow(request, timeout: timeout) } ?? .failure(.timeout)
    }

    private func sendNow(_ request: OutgoingRequest, timeout: Duration) async -> Result<TransportResponse, PostFailure> {
        var httpRequest = HTTPClientRequest(url: request.url)
        httpRequest.method = HTTPMethod(rawValue: request.method)
        for header in request.headers {
            httpRequest.headers.add(name: header.name, value: header.value)
        }
        if let body = request.body {
            httpRequest.body = .bytes(ByteBuffer(string: body))
        }
        let client = self.client
        let request = httpRequest
        return await withTaskGroup(of: Result<TransportResponse, PostFailure>?.self) { group in
            group.addTask {
                await Self.execute(request, on: client, timeout: timeout)
            }
            group.addTask {
                try? await DaemonClock().sleep(for: timeout)
                return Task.isCancelled ? nil : .failure(.timeout)
            }
            var outcome: Result<TransportResponse, PostFailure> = .failure(.timeout)
            for await result in group {
                if let result {
                    outcome = result
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
    }

    private static func execute(
        _ request: HTTPClientRequest, on client: HTTPClient, timeout: Duration
    ) async -> Result<TransportResponse, PostFailure> {
        do {
            let seconds = timeout.components.seconds + 1
            let response = try await client.execute(request, timeout: .seconds(seconds))
            var body: [UInt8] = []
            for try await chunk in response.body {
                let room = maxResponseBodyBytes - body.count
                body.append(contentsOf: chunk.readableBytesView.prefix(room))
                if body.count >= maxResponseBodyBytes { break }
            }
            let headers = response.headers.map { (name: $0.name, value: $0.value) }
            return .success(TransportResponse(status: Int(response.status.code), headers: headers, body: body))
        } catch is CancellationError {
            return .failure(.timeout)
        } catch let error as HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return .failure(.timeout)
            }
            return .failure(.connection(ConnectionFailureReason.describe(error)))
        } catch {
            return .failure(.connection(ConnectionFailureReason.describe(error)))
        }
    }
}
