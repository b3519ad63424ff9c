import FoundationEssentials
import BotStatsProtocol

/// What one attempt's answer says before anything is decided: whether it failed and how, and
/// what the list said about its rate limit.
///
/// List posts (`TargetStateMachine`) and the Discord fetch (`DiscordFetchState`) both read their
/// answers through this, so a 429, a `Retry-After` or a reset means the same wait to both.
struct AttemptReading: Sendable, Equatable {
    /// Why the attempt failed; nil for a 2xx answer.
    var failure: PostFailure?
    /// The answer, when one came.
    var response: TransportResponse?
    /// What the answer said about the rate limit; empty when there was no answer.
    var rateLimit: RateLimitReading
    /// Debug lines about rate-limit values that were ignored or clamped.
    var notes: [LogEntry]

    /// Reads `result`; `wallNow` converts epochs and HTTP-dates when the answer has no `Date`.
    init(_ result: Result<TransportResponse, PostFailure>, wallNow: Date) {
        switch result {
        case .success(let response):
            self.response = response
            (rateLimit, notes) = RateLimitParser.read(
                status: response.status, headers: response.headers, body: response.body, localNow: wallNow)
            failure = (200..<300).contains(response.status) ? nil : .status(response.status)
        case .failure(let failure):
            self.failure = failure
            response = nil
            rateLimit = RateLimitReading()
            notes = []
        }
    }

    /// The rate-limit window the answer reported, its reset as a wall-clock date; nil when it
    /// reported none (the last one known then still stands).
    func window(wallNow: Date) -> RateLimitWindow? {
        guard rateLimit.limit != nil || rateLimit.remaining != nil || rateLimit.resetIn != nil else { return nil }
        return RateLimitWindow(
            limit: rateLimit.limit, remaining: rateLimit.remaining,
            resetAt: rateLimit.resetIn.map { wallNow.addingTimeInterval($0.seconds) })
    }
}
