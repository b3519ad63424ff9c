import FoundationEssentials
import BotStatsProtocol

/// `source = "discord"`: the bot's counts come from `GET {discord_base_url}/applications/@me`.
///
/// Before each repost the daemon asks Discord for `approximate_guild_count`; Discord's
/// `X-RateLimit-*` headers and 429s go through the same parser as any list's. A fetch that fails
/// keeps the last counts (they are still reposted) and says why in status.
public struct DiscordFetchState<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// No fetch before this instant (Discord's rate limit).
    var notBefore: Instant?
    /// Failed attempts of the current fetch.
    var failedAttempts = 0
    var lastFetchAt: Date?
    var lastError: String?

    public init() {}

    /// The request for the application's own record.
    static func request(baseURL: String, token: Secret, userAgent: String) -> OutgoingRequest {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return OutgoingRequest(
            method: "GET", url: base + "/applications/@me",
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
