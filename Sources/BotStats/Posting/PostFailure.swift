import BotStatsProtocol

/// Why one attempt failed.
package enum PostFailure: Error, Sendable, Equatable {
    /// The list answered with a non-2xx status.
    case status(Int)
    /// No complete answer within `retry.timeout`.
    case timeout
    /// The connection could not be made or broke; the text is safe to show.
    case connection(String)

    /// The metrics class: `429`, `4xx`, `5xx`, `timeout`, `network` or `other` (1xx, 3xx).
    package var metricsClass: String {
        switch self {
        case .status(429): return "429"
        case .status(let code) where (400..<500).contains(code): return "4xx"
        case .status(let code) where (500..<600).contains(code): return "5xx"
        case .status: return "other"
        case .timeout: return "timeout"
        case .connection: return "network"
        }
    }
}
