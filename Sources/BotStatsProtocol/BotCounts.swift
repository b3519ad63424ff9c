import FoundationEssentials

/// The counts a bot last handed over: what every list is told.
package struct BotCounts: Sendable, Equatable, Codable {
    /// Servers (guilds) the bot is in.
    package var servers: Int
    /// Users the bot can see; nil when the bot did not say.
    package var users: Int?
    /// Shard count; nil when the bot did not say.
    package var shards: Int?
    /// When the daemon accepted these counts (wall clock, for status only).
    package var updatedAt: Date

    package init(servers: Int, users: Int? = nil, shards: Int? = nil, updatedAt: Date) {
        self.servers = servers
        self.users = users
        self.shards = shards
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case servers, users, shards
        case updatedAt = "updated_at"
    }
}
