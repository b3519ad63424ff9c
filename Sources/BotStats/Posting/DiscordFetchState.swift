import FoundationEssentials
import Logging
import BotStatsProtocol

/// `source = "discord"`: the bot's counts come from `GET {discord_base_url}/applications/@me`;
/// this is the fetch's state and every decision about it, free of I/O.
///
/// Before each repost the daemon asks Discord for `approximate_guild_count`. Discord's answers are
/// read as a list's are (`AttemptReading`: its `X-RateLimit-*` headers, 429s and `retry_after`),
/// and whether a failed fetch is retried, and when, is `RetryPolicy.decision`, the same decision
/// a post gets: backoff with full jitter under `max_attempts`, Discord's wait as a floor, and a
/// wait beyond `max_delay` deferring the next fetch. A fetch that fails keeps the last counts
/// (they are still reposted) and says why in status.
package struct DiscordFetchState<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// What recording one fetch decided, for the engine to apply.
    struct Outcome: Sendable, Equatable {
        enum Next: Sendable, Equatable {
            /// Discord told the server count: it goes through the drop guard, then a post round.
            case counts(Int)
            /// Ask again at this instant; the post round waits for the answer.
            case retry(at: Instant)
            /// No new counts this round: the last ones are posted again.
            case keepLastCounts
        }

        var next: Next
        /// Why the fetch failed, safe to show; nil when it did not.
        var error: String?
        /// What to log, in order: ignored rate-limit values, then the line about the failure.
        var log: [LogEntry]
    }

    /// No fetch before this instant (Discord's rate limit).
    var notBefore: Instant?
    /// Failed attempts of the current fetch.
    var failedAttempts = 0
    var lastFetchAt: Date?
    var lastError: String?

    package init() {}

    /// When the next fetch may go out, if not at `now`: Discord's rate limit or a backoff holds it.
    func heldUntil(now: Instant) -> Instant? {
        guard let notBefore, now < notBefore else { return nil }
        return notBefore
    }

    /// Records Discord's answer to a fetch and decides what follows.
    ///
    /// - Parameters:
    ///   - wallNow: the wall-clock time of `now`; stamps the fetch and converts Discord's
    ///     epochs and HTTP-dates when the answer has no `Date` header.
    ///   - policy: the retry settings posts use too.
    ///   - unitRandom: jitter source in `0...1`.
    mutating func record(
        response: Result<TransportResponse, PostFailure>, now: Instant, wallNow: Date, policy: RetryPolicy,
        unitRandom: Double, redactor: Redactor
    ) -> Outcome {
        lastFetchAt = wallNow
        let reading = AttemptReading(response, wallNow: wallNow)
        let wait = reading.rateLimit.requiredWait
        var servers: Int?
        switch response {
        case .success(let answer) where reading.failure == nil:
            switch Self.servers(in: answer.body) {
            case .success(let count): servers = count
            case .failure(let error): lastError = error.message
            }
        case .success(let answer):
            lastError = "Discord answered HTTP \(answer.status)" + (answer.status == 401 ? " (check discord_token)" : "")
        case .failure(.timeout):
            lastError = "Discord did not answer in time"
        case .failure(let failure):
            // Kept as it always read: the failure's Swift description, e.g. `connection("…")`.
            lastError = "cannot reach Discord: " + SafeText("\(failure)", redactor: redactor).text
        }
        if let servers {
            failedAttempts = 0
            lastError = nil
            notBefore = wait.map { now.advanced(by: $0) }
            return Outcome(next: .counts(servers), error: nil, log: reading.notes)
        }
        failedAttempts += 1
        let error = lastError ?? ""
        // A 2xx without a count is not retryable: asking again gets the same answer.
        let retryable = reading.failure.map(RetryPolicy.isRetryable) ?? false
        switch policy.decision(retryable: retryable, failedAttempts: failedAttempts, serverWait: wait, unitRandom: unitRandom) {
        case .retry(let delay):
            let at = now.advanced(by: delay)
            notBefore = at
            return Outcome(
                next: .retry(at: at), error: lastError,
                log: reading.notes + [LogEntry(.debug, "Discord fetch failed; retrying", metadata: ["error": error])])
        case .deferred, .giveUp:
            // Deferred or given up alike: the last counts go out now, and the next fetch waits
            // for whatever Discord asked.
            failedAttempts = 0
            notBefore = wait.map { now.advanced(by: $0) }
            return Outcome(
                next: .keepLastCounts, error: lastError,
                log: reading.notes + [
                    LogEntry(
                        .error, "could not fetch counts from Discord; keeping the last counts", metadata: ["error": error])
                ])
        }
    }

    /// The request for the application's own record.
    static func request(baseURL: String, token: Secret, userAgent: String) -> OutgoingRequest {
        OutgoingRequest(
            method: "GET", url: baseURL.trimmingTrailingSlashes() + "/applications/@me",
            headers: [("Authorization", "Bot \(token.revealed)"), ("User-Agent", userAgent)], body: nil)
    }

    /// The server count in Discord's answer, or why there is none.
    static func servers(in body: [UInt8]) -> Result<Int, FetchError> {
        guard let value = try? JSONParser.parse(body), case .object(let object) = value else {
            return .failure(FetchError(message: "Discord's answer is not a JSON object"))
        }
        guard case .number(let count)? = object["approximate_guild_count"], count >= 0, count <= 1e12, count.rounded() == count else {
            return .failure(FetchError(message: "Discord's answer has no approximate_guild_count"))
        }
        return .success(Int(count))
    }

    struct FetchError: Error, Equatable {
        let message: String
    }
}
