/// One `set`: a bot's total, or one shard's share of it.
public struct CountsUpdate: Sendable, Equatable {
    public var servers: Int
    public var users: Int?
    public var shards: Int?
    public var shardID: Int?
    public var shardCount: Int?
    /// Bypass the drop guard (and the zero-servers rule).
    public var force: Bool

    public init(servers: Int, users: Int? = nil, shards: Int? = nil, shardID: Int? = nil, shardCount: Int? = nil, force: Bool = false) {
        self.servers = servers
        self.users = users
        self.shards = shards
        self.shardID = shardID
        self.shardCount = shardCount
        self.force = force
    }
}
