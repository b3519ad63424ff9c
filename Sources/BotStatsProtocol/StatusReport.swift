import FoundationEssentials

/// The status object of SPEC §7: what `botstatsctl status --json` prints.
///
/// Every field is always present; unknown values are JSON `null`, so consumers never need to
/// tell "missing" from "unknown". The daemon writes it with `JSONWriter` (see
/// `StatusReport+JSON.swift`); `botstatsctl` decodes it.
package struct StatusReport: Decodable, Sendable, Equatable {
    package var version: String
    package var pid: Int
    package var uptimeSeconds: Int
    package var configPath: String
    package var configLoadedAt: Date
    /// The last reload error, or nil while the running configuration is the one on disk.
    package var lastReloadError: String?
    /// `--dry-run`: nothing is sent to any list, so no list has accepted anything.
    package var dryRun: Bool
    package var bots: [BotStatus]

    package init(
        version: String, pid: Int, uptimeSeconds: Int, configPath: String, configLoadedAt: Date, lastReloadError: String?,
        dryRun: Bool = false, bots: [BotStatus]
    ) {
        self.dryRun = dryRun
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.configPath = configPath
        self.configLoadedAt = configLoadedAt
        self.lastReloadError = lastReloadError
        self.bots = bots
    }

    enum CodingKeys: String, CodingKey {
        case version, pid, bots
        case uptimeSeconds = "uptime_seconds"
        case configPath = "config_path"
        case configLoadedAt = "config_loaded_at"
        case lastReloadError = "last_reload_error"
        case dryRun = "dry_run"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        pid = try c.decode(Int.self, forKey: .pid)
        uptimeSeconds = try c.decode(Int.self, forKey: .uptimeSeconds)
        configPath = try c.decode(String.self, forKey: .configPath)
        configLoadedAt = try c.decode(Date.self, forKey: .configLoadedAt)
        lastReloadError = try c.decodeIfPresent(String.self, forKey: .lastReloadError)
        // Absent from daemons older than this field: they never said, so not a dry run.
        dryRun = try c.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
        bots = try c.decode([BotStatus].self, forKey: .bots)
    }
}

/// One bot in the status object.
package struct BotStatus: Decodable, Sendable, Equatable {
    package var name: String
    package var id: String
    package var counts: CountsStatus
    package var lastPostedAt: Date?
    package var nextRepostAt: Date?
    package var nextRepostInSeconds: Int?
    /// The bot's `repost_interval`, so monitoring can judge staleness without the config file.
    package var repostIntervalSeconds: Int?
    /// Counts the drop guard holds back, and why; nil when none.
    package var held: HeldStatus?
    /// Per-shard reporting progress; nil while the bot reports totals.
    package var shards: ShardsStatus?
    /// Where the counts come from and how the last fetch went.
    package var source: SourceStatus?
    package var targets: [TargetStatus]

    package init(
        name: String, id: String, counts: CountsStatus, lastPostedAt: Date?, nextRepostAt: Date?, nextRepostInSeconds: Int?,
        repostIntervalSeconds: Int?, held: HeldStatus? = nil, shards: ShardsStatus? = nil, source: SourceStatus? = nil,
        targets: [TargetStatus]
    ) {
        self.source = source
        self.held = held
        self.shards = shards
        self.name = name
        self.id = id
        self.counts = counts
        self.lastPostedAt = lastPostedAt
        self.nextRepostAt = nextRepostAt
        self.nextRepostInSeconds = nextRepostInSeconds
        self.repostIntervalSeconds = repostIntervalSeconds
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case name, id, counts, targets
        case lastPostedAt = "last_posted_at"
        case nextRepostAt = "next_repost_at"
        case nextRepostInSeconds = "next_repost_in_seconds"
        case repostIntervalSeconds = "repost_interval_seconds"
        case held, shards, source
    }

}

/// A bot's cached counts in the status object; all null before the first `set`.
package struct CountsStatus: Decodable, Sendable, Equatable {
    package var servers: Int?
    package var users: Int?
    package var shards: Int?
    package var updatedAt: Date?

    package init(servers: Int?, users: Int?, shards: Int?, updatedAt: Date?) {
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

/// One target in the status object.
package struct TargetStatus: Decodable, Sendable, Equatable {
    package var name: String
    package var provider: String
    package var state: TargetState
    package var lastAttemptAt: Date?
    package var lastSuccessAt: Date?
    package var lastStatus: Int?
    package var lastError: String?
    package var consecutiveFailures: Int
    package var postsTotal: Int
    package var failuresTotal: Int
    package var retriesTotal: Int
    /// Failed attempts by class: `429`, `4xx`, `5xx`, `timeout`, `network`, `other`.
    package var failuresByClass: [String: Int]
    package var nextAttemptAt: Date?
    package var rateLimit: RateLimitStatus

    package init(
        name: String, provider: String, state: TargetState, lastAttemptAt: Date?, lastSuccessAt: Date?,
        lastStatus: Int?, lastError: String?, consecutiveFailures: Int, postsTotal: Int, failuresTotal: Int,
        retriesTotal: Int, failuresByClass: [String: Int] = [:], nextAttemptAt: Date?, rateLimit: RateLimitStatus
    ) {
        self.name = name
        self.provider = provider
        self.state = state
        self.lastAttemptAt = lastAttemptAt
        self.lastSuccessAt = lastSuccessAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.consecutiveFailures = consecutiveFailures
        self.postsTotal = postsTotal
        self.failuresTotal = failuresTotal
        self.retriesTotal = retriesTotal
        self.failuresByClass = failuresByClass
        self.nextAttemptAt = nextAttemptAt
        self.rateLimit = rateLimit
    }

    enum CodingKeys: String, CodingKey {
        case name, provider, state
        case lastAttemptAt = "last_attempt_at"
        case lastSuccessAt = "last_success_at"
        case lastStatus = "last_status"
        case lastError = "last_error"
        case consecutiveFailures = "consecutive_failures"
        case postsTotal = "posts_total"
        case failuresTotal = "failures_total"
        case retriesTotal = "retries_total"
        case failuresByClass = "failures_by_class"
        case nextAttemptAt = "next_attempt_at"
        case rateLimit = "rate_limit"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        provider = try c.decode(String.self, forKey: .provider)
        state = try c.decode(TargetState.self, forKey: .state)
        lastAttemptAt = try c.decodeIfPresent(Date.self, forKey: .lastAttemptAt)
        lastSuccessAt = try c.decodeIfPresent(Date.self, forKey: .lastSuccessAt)
        lastStatus = try c.decodeIfPresent(Int.self, forKey: .lastStatus)
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        consecutiveFailures = try c.decode(Int.self, forKey: .consecutiveFailures)
        postsTotal = try c.decode(Int.self, forKey: .postsTotal)
        failuresTotal = try c.decode(Int.self, forKey: .failuresTotal)
        retriesTotal = try c.decode(Int.self, forKey: .retriesTotal)
        failuresByClass = try c.decodeIfPresent([String: Int].self, forKey: .failuresByClass) ?? [:]
        nextAttemptAt = try c.decodeIfPresent(Date.self, forKey: .nextAttemptAt)
        rateLimit = try c.decode(RateLimitStatus.self, forKey: .rateLimit)
    }

}

/// A target's last reported rate-limit window in the status object.
package struct RateLimitStatus: Decodable, Sendable, Equatable {
    package var limit: Int?
    package var remaining: Int?
    package var resetAt: Date?
    package var resetInSeconds: Int?

    package init(limit: Int?, remaining: Int?, resetAt: Date?, resetInSeconds: Int?) {
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
        self.resetInSeconds = resetInSeconds
    }

    enum CodingKeys: String, CodingKey {
        case limit, remaining
        case resetAt = "reset_at"
        case resetInSeconds = "reset_in_seconds"
    }

}

/// Counts held back by the drop guard.
package struct HeldStatus: Decodable, Sendable, Equatable {
    package var servers: Int
    package var users: Int?
    package var shards: Int?
    package var reason: String

    package init(servers: Int, users: Int?, shards: Int?, reason: String) {
        self.servers = servers
        self.users = users
        self.shards = shards
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case servers, users, shards, reason
    }
}

/// Per-shard reporting: how many of the shards have reported, and which have gone quiet.
package struct ShardsStatus: Decodable, Sendable, Equatable {
    /// At most this many ids are listed in `stale` and `missing`.
    package static let listed = 100

    package var count: Int
    package var reported: Int
    /// Shard ids whose last report is older than `shard_timeout` (still counted, flagged here);
    /// the lowest `listed` of them.
    package var stale: [Int]
    /// How many shards are stale in all.
    package var staleCount: Int
    /// Shard ids that have not reported since the shard count was set; the lowest `listed`.
    package var missing: [Int]

    package init(count: Int, reported: Int, stale: [Int], staleCount: Int? = nil, missing: [Int]) {
        self.count = count
        self.reported = reported
        self.stale = stale
        self.staleCount = staleCount ?? stale.count
        self.missing = missing
    }

    enum CodingKeys: String, CodingKey {
        case count, reported, stale, missing
        case staleCount = "stale_count"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        reported = try c.decode(Int.self, forKey: .reported)
        stale = try c.decode([Int].self, forKey: .stale)
        staleCount = try c.decodeIfPresent(Int.self, forKey: .staleCount) ?? stale.count
        missing = try c.decode([Int].self, forKey: .missing)
    }
}
