import BotStatsProtocol

/// Exponential backoff with full jitter, and which failures are worth another try.
///
/// After the n-th failed attempt of a post the wait is `random(0, min(maxDelay, baseDelay * 2^(n-1)))`,
/// raised to at least any wait the list demanded (`Retry-After`, reset time).
public struct RetryPolicy: Sendable, Equatable {
    public var settings: RetrySettings

    public init(settings: RetrySettings) {
        self.settings = settings
    }

    /// The upper bound of the jittered wait after `failedAttempts` failures (1 after the first).
    public func backoffCeiling(afterFailedAttempts failedAttempts: Int) -> Duration {
        let exponent = max(0, failedAttempts - 1)
        // 2^62 attoseconds-scale overflow is avoided by capping before multiplying.
        if exponent >= 62 { return settings.maxDelay }
        let base = settings.baseDelay
        let factor = Int64(1) << Int64(exponent)
        let (baseSeconds, _) = base.components
        if baseSeconds > 0, baseSeconds > Int64.max / factor / 2 { return settings.maxDelay }
        let ceiling = base * factor
        return min(ceiling, settings.maxDelay)
    }

    /// The wait before the next attempt: full jitter under the ceiling, never below `floor`.
    ///
    /// `unitRandom` is a value in `0...1` (injected so tests are deterministic).
    public func delay(afterFailedAttempts failedAttempts: Int, floor: Duration?, unitRandom: Double) -> Duration {
        let ceiling = backoffCeiling(afterFailedAttempts: failedAttempts)
        let fraction = unitRandom.isFinite ? min(1, max(0, unitRandom)) : 0
        let jittered = ceiling * fraction
        guard let floor, floor > jittered else { return jittered }
        return floor
    }

    /// Whether `failure` may be retried (SPEC §5).
    ///
    /// 408, 425 and 429 ask for another try by definition. Every 5xx is the server's trouble, not a
    /// verdict on the request (Cloudflare's 520–524 say the list's origin is down, refused, timed
    /// out or slow), except 501 Not Implemented and 505 HTTP Version Not Supported, which no
    /// retry can change. Timeouts and broken connections are transient too. Other statuses,
    /// 4xx above all, mean the request itself is wrong and are not retried.
    public static func isRetryable(_ failure: PostFailure) -> Bool {
        switch failure {
        case .status(let code):
            switch code {
            case 408, 425, 429: return true
            case 501, 505: return false
            case 500...599: return true
            default: return false
            }
        case .timeout, .connection:
            return true
        }
    }
}

/// Why one attempt failed.
public enum PostFailure: Error, Sendable, Equatable {
    /// The list answered with a non-2xx status.
    case status(Int)
    /// No complete answer within `retry.timeout`.
    case timeout
    /// The connection could not be made or broke; the text is safe to show.
    case connection(String)

    /// The metrics class: `429`, `4xx`, `5xx`, `timeout`, `network` or `other` (1xx, 3xx).
    public var metricsClass: String {
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
