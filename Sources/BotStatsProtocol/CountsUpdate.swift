/// One `set`: a bot's total, or one shard's share of it.
package struct CountsUpdate: Sendable, Equatable {
    package var servers: Int
    package var users: Int?
    package var shards: Int?
    package var shardID: Int?
    package var shardCount: Int?
    /// Bypass the drop guard (and the zero-servers rule).
    package var force: Bool

    package init(servers: Int, users: Int? = nil, shards: Int? = nil, shardID: Int? = nil, shardCount: Int? = nil, force: Bool = false) {
        self.servers = servers
        self.users = users
        self.shards = shards
        self.shardID = shardID
        self.shardCount = shardCount
        self.force = force
    }
}
