import BotStatsProtocol

/// Exponential backoff with full jitter, and which failures are worth another try.
///
/// After the n-th failed attempt of a post the wait is `random(0, min(maxDelay, baseDelay * 2^(n-1)))`,
/// raised to at least any wait the list demanded (`Retry-After`, reset time).
package struct RetryPolicy: Sendable, Equatable {
    package var settings: RetrySettings

    package init(settings: RetrySettings) {
        self.settings = settings
    }

    /// The upper bound of the jittered wait after `failedAttempts` failures (1 after the first).
    package func backoffCeiling(afterFailedAttempts failedAttempts: Int) -> Duration {
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
    package func delay(afterFailedAttempts failedAttempts: Int, floor: Duration?, unitRandom: Double) -> Duration {
        let ceiling = backoffCeiling(afterFailedAttempts: failedAttempts)
        let fraction = unitRandom.isFinite ? min(1, max(0, unitRandom)) : 0
        let jittered = ceiling * fraction
        guard let floor, floor > jittered else { return jittered }
        return floor
    }

    /// What follows a failed attempt of a post or a Discord fetch.
    package enum Decision: Sendable, Equatable {
        /// Try again after this wait (backoff with full jitter, never below the list's wait).
        case retry(after: Duration)
        /// The list asked for a wait longer than `max_delay`: stop retrying and try again only
        /// once it has passed, without counting this attempt against `max_attempts`.
        case deferred(Duration)
        /// Give up on this round: the failure is not retryable, or the attempts are used up.
        /// The list's wait, if it asked for one, still holds.
        case giveUp
    }

    /// The one place that decides whether a failed attempt is retried, and when (SPEC §5).
    ///
    /// - Parameters:
    ///   - retryable: whether the failure may be retried at all (`isRetryable(_:)`).
    ///   - failedAttempts: failed attempts so far, this one included.
    ///   - serverWait: the wait the list demanded, if any (`RateLimitReading.requiredWait`).
    ///   - unitRandom: jitter source in `0...1`.
    package func decision(
        retryable: Bool, failedAttempts: Int, serverWait: Duration?, unitRandom: Double
    ) -> Decision {
        let serverWait = serverWait.flatMap { $0 > .zero ? $0 : nil }
        guard retryable else { return .giveUp }
        // Too long to hold a retry loop: deferred to the moment the list named.
        if let serverWait, serverWait > settings.maxDelay { return .deferred(serverWait) }
        if failedAttempts >= settings.maxAttempts { return .giveUp }
        return .retry(after: delay(afterFailedAttempts: failedAttempts, floor: serverWait, unitRandom: unitRandom))
    }

    /// Whether `failure` may be retried (SPEC §5).
    ///
    /// 408, 425 and 429 ask for another try by definition. Every 5xx is the server's trouble, not a
    /// verdict on the request (Cloudflare's 520–524 say the list's origin is down, refused, timed
    /// out or slow), except 501 Not Implemented and 505 HTTP Version Not Supported, which no
    /// retry can change. Timeouts and broken connections are transient too. Other statuses,
    /// 4xx above all, mean the request itself is wrong and are not retried.
    package static func isRetryable(_ failure: PostFailure) -> Bool {
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
