import Foundation

/// Everything the daemon keeps across restarts: `state.json` in the state directory.
///
/// Times are wall-clock dates because monotonic instants mean nothing after a restart; they
/// are converted back to waits against the clock when loaded.
public struct PersistedState: Codable, Sendable, Equatable {
    /// Format version; a file with another version is moved aside, not misread.
    public static let currentFormat = 1

    public var format: Int
    /// Keyed by bot name.
    public var bots: [String: PersistedBot]

    public init(bots: [String: PersistedBot] = [:]) {
        self.format = Self.currentFormat
        self.bots = bots
    }
}

/// One bot's counts and its targets' outcomes.
public struct PersistedBot: Codable, Sendable, Equatable {
    /// The bot id the counts belong to; counts of another id are not posted for this one.
    public var id: String
    public var counts: BotCounts?
    /// Increases with every accepted `set`; lets a restart tell delivered counts from new ones.
    public var countsVersion: UInt64
    public var lastPostedAt: Date?
    /// Keyed by target name.
    public var targets: [String: PersistedTarget]

    public init(id: String, counts: BotCounts? = nil, countsVersion: UInt64 = 0, lastPostedAt: Date? = nil, targets: [String: PersistedTarget] = [:]) {
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
    }
}

/// One target's last outcome, counters and any cooldown still in force.
public struct PersistedTarget: Codable, Sendable, Equatable {
    public var state: TargetState
    /// The counts version this list last accepted.
    public var deliveredVersion: UInt64
    public var lastAttemptAt: Date?
    public var lastSuccessAt: Date?
    public var lastStatus: Int?
    public var lastError: String?
    public var consecutiveFailures: Int
    public var postsTotal: Int
    public var failuresTotal: Int
    public var retriesTotal: Int
    /// No request to this list before this moment (a rate limit, a backoff or a circuit probe).
    public var notBefore: Date?
    public var rateLimit: RateLimitWindow

    public init() {
        state = .ok
        deliveredVersion = 0
        consecutiveFailures = 0
        postsTotal = 0
        failuresTotal = 0
        retriesTotal = 0
        rateLimit = RateLimitWindow()
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
    }
}

/// The last rate-limit window a list reported.
public struct RateLimitWindow: Codable, Sendable, Equatable {
    public var limit: Int?
    public var remaining: Int?
    public var resetAt: Date?

    public init(limit: Int? = nil, remaining: Int? = nil, resetAt: Date? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
    }

    enum CodingKeys: String, CodingKey {
        case limit, remaining
        case resetAt = "reset_at"
    }
}
