import FoundationEssentials
import BotStatsProtocol

/// Everything the daemon keeps across restarts: one `bots/<name>.json` per bot in the state directory.
///
/// Times are wall-clock dates because monotonic instants mean nothing after a restart; they
/// are converted back to waits against the clock when loaded.
package struct PersistedState: Codable, Sendable, Equatable {
    /// Format version; a file with another version is moved aside, not misread.
    package static let currentFormat = 1

    package var format: Int
    /// Keyed by bot name.
    package var bots: [String: PersistedBot]

    package init(bots: [String: PersistedBot] = [:]) {
        self.format = Self.currentFormat
        self.bots = bots
    }
}

/// One bot's counts and its targets' outcomes.
package struct PersistedBot: Codable, Sendable, Equatable {
    /// The bot id the counts belong to; counts of another id are not posted for this one.
    package var id: String
    package var counts: BotCounts?
    /// Increases with every accepted `set`; lets a restart tell delivered counts from new ones.
    package var countsVersion: UInt64
    package var lastPostedAt: Date?
    /// Keyed by target name.
    package var targets: [String: PersistedTarget]
    /// Shard count of per-shard reporting; nil while the bot reports totals.
    package var shardCount: Int?
    /// Per-shard reports keyed by shard id (as a string, for JSON).
    package var shardReports: [String: ShardReport]?
    /// A total held back by the drop guard, waiting to be confirmed.
    package var held: HeldCounts?
    /// Totals accepted within the last repost interval, oldest first: the drop guard measures a new
    /// total against the highest of them, so a fall in stages is held like one. Absent in files
    /// written before the guard looked back; nil then means "none remembered".
    package var recentTotals: [BotCounts]?

    package init(id: String, counts: BotCounts? = nil, countsVersion: UInt64 = 0, lastPostedAt: Date? = nil, targets: [String: PersistedTarget] = [:]) {
        self.id = id
        self.counts = counts
        self.countsVersion = countsVersion
        self.lastPostedAt = lastPostedAt
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case id, counts, targets
        case countsVersion = "counts_version"
        case lastPostedAt = "last_posted_at"
        case shardCount = "shard_count"
        case shardReports = "shard_reports"
        case held
        case recentTotals = "recent_totals"
    }
}

extension PersistedBot {
    /// Puts back everything a `set` changes (counts, version, shard reports, what the drop guard
    /// holds and remembers) from `saved`, leaving the targets' outcomes as they are: the undo of
    /// counts that could not be saved.
    package mutating func restoreCounts(from saved: PersistedBot) {
        counts = saved.counts
        countsVersion = saved.countsVersion
        shardCount = saved.shardCount
        shardReports = saved.shardReports
        held = saved.held
        recentTotals = saved.recentTotals
    }
}

/// One shard's last report.
package struct ShardReport: Codable, Sendable, Equatable {
    package var servers: Int
    package var users: Int?
    package var updatedAt: Date
    /// The shard's last good share: what the drop guard measures its reports against. A report
    /// far below it is a dip and leaves it unchanged until the shard confirms it. Absent in files
    /// written before the guard judged shards one by one; nil then means "not known yet".
    package var goodServers: Int?

    package init(servers: Int, users: Int?, updatedAt: Date) {
        self.servers = servers
        self.users = users
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case servers, users
        case updatedAt = "updated_at"
        case goodServers = "good_servers"
    }
}

/// Counts the drop guard did not post, and why.
package struct HeldCounts: Codable, Sendable, Equatable {
    package var counts: BotCounts
    package var reason: String

    package init(counts: BotCounts, reason: String) {
        self.counts = counts
        self.reason = reason
    }
}

/// One target's last outcome, counters and any cooldown still in force.
package struct PersistedTarget: Codable, Sendable, Equatable {
    package var state: TargetState
    /// The counts version this list last accepted.
    package var deliveredVersion: UInt64
    package var lastAttemptAt: Date?
    package var lastSuccessAt: Date?
    package var lastStatus: Int?
    package var lastError: String?
    package var consecutiveFailures: Int
    package var postsTotal: Int
    package var failuresTotal: Int
    package var retriesTotal: Int
    /// No request to this list before this moment (a rate limit, a backoff or a circuit probe).
    package var notBefore: Date?
    package var rateLimit: RateLimitWindow
    /// Failed attempts by class (`429`, `4xx`, `5xx`, `timeout`, `network`, `other`), for metrics.
    package var failureClasses: [String: Int]

    package init() {
        state = .ok
        deliveredVersion = 0
        consecutiveFailures = 0
        postsTotal = 0
        failuresTotal = 0
        retriesTotal = 0
        rateLimit = RateLimitWindow()
        failureClasses = [:]
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        state = try c.decode(TargetState.self, forKey: .state)
        deliveredVersion = try c.decode(UInt64.self, forKey: .deliveredVersion)
        lastAttemptAt = try c.decodeIfPresent(Date.self, forKey: .lastAttemptAt)
        lastSuccessAt = try c.decodeIfPresent(Date.self, forKey: .lastSuccessAt)
        lastStatus = try c.decodeIfPresent(Int.self, forKey: .lastStatus)
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        consecutiveFailures = try c.decode(Int.self, forKey: .consecutiveFailures)
        postsTotal = try c.decode(Int.self, forKey: .postsTotal)
        failuresTotal = try c.decode(Int.self, forKey: .failuresTotal)
        retriesTotal = try c.decode(Int.self, forKey: .retriesTotal)
        notBefore = try c.decodeIfPresent(Date.self, forKey: .notBefore)
        rateLimit = try c.decode(RateLimitWindow.self, forKey: .rateLimit)
        // Added after the first release of the format; older files simply have none.
        failureClasses = try c.decodeIfPresent([String: Int].self, forKey: .failureClasses) ?? [:]
    }

    enum CodingKeys: String, CodingKey {
        case state
        case deliveredVersion = "delivered_version"
        case lastAttemptAt = "last_attempt_at"
        case lastSuccessAt = "last_success_at"
        case lastStatus = "last_status"
        case lastError = "last_error"
        case consecutiveFailures = "consecutive_failures"
        case postsTotal = "posts_total"
        case failuresTotal = "failures_total"
        case retriesTotal = "retries_total"
        case notBefore = "not_before"
        case rateLimit = "rate_limit"
        case failureClasses = "failure_classes"
    }
}

/// The last rate-limit window a list reported.
package struct RateLimitWindow: Codable, Sendable, Equatable {
    package var limit: Int?
    package var remaining: Int?
    package var resetAt: Date?

    package init(limit: Int? = nil, remaining: Int? = nil, resetAt: Date? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
    }

    enum CodingKeys: String, CodingKey {
        case limit, remaining
        case resetAt = "reset_at"
    }
}
