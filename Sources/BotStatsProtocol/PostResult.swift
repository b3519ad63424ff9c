import FoundationEssentials

/// How a manual `post` ended for one target, as returned to `botstatsctl post`.
public struct PostResult: Codable, Sendable, Equatable {
    public var bot: String
    public var target: String
    /// How the post ended for this target.
    public var outcome: PostOutcome
    public var state: TargetState
    public var httpStatus: Int?
    public var error: String?
    public var nextAttemptAt: Date?

    public init(bot: String, target: String, outcome: PostOutcome, state: TargetState, httpStatus: Int?, error: String?, nextAttemptAt: Date?) {
        self.bot = bot
        self.target = target
        self.outcome = outcome
        self.state = state
        self.httpStatus = httpStatus
        self.error = error
        self.nextAttemptAt = nextAttemptAt
    }

    enum CodingKeys: String, CodingKey {
        case bot, target, outcome, state, error
        case httpStatus = "http_status"
        case nextAttemptAt = "next_attempt_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bot, forKey: .bot)
        try c.encode(target, forKey: .target)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(state, forKey: .state)
        try c.encode(httpStatus, forKey: .httpStatus)
        try c.encode(error, forKey: .error)
        try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
    }
}

/// The answer to a `set`.
public struct SetResult: Codable, Sendable, Equatable {
    public var bot: String
    /// What became of the counts.
    public var outcome: SetOutcome
    /// The accepted or held counts; nil while shards are still reporting.
    public var counts: BotCounts?
    /// Targets that will be posted to (enabled ones); empty unless accepted.
    public var targets: [String]
    /// Why the counts were held, or how many shards are still missing.
    public var message: String?

    public init(bot: String, outcome: SetOutcome, counts: BotCounts?, targets: [String], message: String?) {
        self.bot = bot
        self.outcome = outcome
        self.counts = counts
        self.targets = targets
        self.message = message
    }
}

/// How a `post` ended for one target; an outcome a newer daemon sends is kept as received.
public struct PostOutcome: WireWord {
    /// The outcome on the wire, e.g. `delivered`.
    public let rawValue: String

    public init(wire: String) {
        self.rawValue = wire
    }

    /// The list accepted the counts.
    public static let delivered = PostOutcome(wire: "delivered")
    /// Every attempt failed, or the list refused (401, 4xx); the next repost tries again.
    public static let failed = PostOutcome(wire: "failed")
    /// An attempt failed and a retry waits for its backoff; answered at once, with the next attempt.
    public static let retrying = PostOutcome(wire: "retrying")
    /// The list asked for a wait (or its circuit is open); answered at once, with the next attempt.
    public static let deferred = PostOutcome(wire: "deferred")
    /// The target is disabled in the configuration.
    public static let disabled = PostOutcome(wire: "disabled")
    /// The daemon stopped, or a reload removed the target, before the outcome was known.
    public static let stopped = PostOutcome(wire: "stopped")
    /// `--dry-run`: the request was logged, not sent.
    public static let dryRun = PostOutcome(wire: "dry_run")
}

/// What became of the counts a `set` handed over; forward compatible like `PostOutcome`.
public struct SetOutcome: WireWord {
    /// The outcome on the wire, e.g. `accepted`.
    public let rawValue: String

    public init(wire: String) {
        self.rawValue = wire
    }

    /// Saved, and posted to every enabled list.
    public static let accepted = SetOutcome(wire: "accepted")
    /// Held back by the drop guard; `message` says why.
    public static let held = SetOutcome(wire: "held")
    /// One shard's share saved; the total waits for the others.
    public static let waitingForShards = SetOutcome(wire: "waiting_for_shards")
}
