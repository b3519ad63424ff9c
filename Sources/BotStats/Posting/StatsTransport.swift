import BotStatsProtocol

/// A list's answer to one request, reduced to what the posting logic needs.
package struct TransportResponse: Sendable, Equatable {
    package var status: Int
    /// Header name and value pairs as received.
    package var headers: [(name: String, value: String)]
    /// At most the first `maxBodyBytes` of the body.
    package var body: [UInt8]

    package init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package static func == (lhs: TransportResponse, rhs: TransportResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }
}

/// Sends one request to a bot list. Expected failures are values, never thrown.
package protocol StatsTransport: Sendable {
    /// Sends `request`, giving up after `timeout` (connect to last byte read).
    func send(_ request: OutgoingRequest, timeout: Duration) async -> Result<TransportResponse, PostFailure>
}

/// How much of a response body is kept: enough for any rate-limit JSON, small enough that a list
/// answering with 100 MiB costs nothing.
package let maxResponseBodyBytes = 64 * 1024
