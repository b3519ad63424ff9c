import FoundationEssentials

/// How a manual `post` ended for one target, as returned to `botstatsctl post`.
package struct PostResult: Codable, Sendable, Equatable {
    package var bot: String
    package var target: String
    /// How the post ended for this target.
    package var outcome: PostOutcome
    package var state: TargetState
    package var httpStatus: Int?
    package var error: String?
    package var nextAttemptAt: Date?

    package init(bot: String, target: String, outcome: PostOutcome, state: TargetState, httpStatus: Int?, error: String?, nextAttemptAt: Date?) {
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

    package func encode(to encoder: any Encoder) throws {
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
package struct SetResult: Codable, Sendable, Equatable {
    package var bot: String
    /// What became of the counts.
    package var outcome: SetOutcome
    /// The accepted or held counts; nil while shards are still reporting.
    package var counts: BotCounts?
    /// Targets that will be posted to (enabled ones); empty unless accepted.
    package var targets: [String]
    /// Why the counts were held, or how many shards are still missing.
    package var message: String?

    package init(bot: String, outcome: SetOutcome, counts: BotCounts?, targets: [String], message: String?) {
        self.bot = bot
        self.outcome = outcome
        self.counts = counts
        self.targets = targets
        self.message = message
    }
}

/// How a `post` ended for one target; an outcome a newer daemon sends is kept as received.
package struct PostOutcome: WireWord {
    /// The outcome on the wire, e.g. `delivered`.
    package let rawValue: String

    package init(wire: String) {
        self.rawValue = wire
    }

    /// The list accepted the counts.
    package static let delivered = PostOutcome(wire: "delivered")
    /// Every attempt failed, or the list refused (401, 4xx); the next repost tries again.
    package static let failed = PostOutcome(wire: "failed")
    /// An attempt failed and a retry waits for its backoff; answered at once, with the next attempt.
    package static let retrying = PostOutcome(wire: "retrying")
    /// The list asked for a wait (or its circuit is open); answered at once, with the next attempt.
    package static let deferred = PostOutcome(wire: "deferred")
    /// The target is disabled in the configuration.
    package static let disabled = PostOutcome(wire: "disabled")
    /// The daemon stopped, or a reload removed the target, before the outcome was known.
    package static let stopped = PostOutcome(wire: "stopped")
    /// `--dry-run`: the request was logged, not sent.
    package static let dryRun = PostOutcome(wire: "dry_run")
}

/// What became of the counts a `set` handed over; forward compatible like `PostOutcome`.
package struct SetOutcome: WireWord {
    /// The outcome on the wire, e.g. `accepted`.
    package let rawValue: String

    package init(wire: String) {
        self.rawValue = wire
    }

    /// Saved, and posted to every enabled list.
    package static let accepted = SetOutcome(wire: "accepted")
    /// Held back by the drop guard; `message` says why.
    package static let held = SetOutcome(wire: "held")
    /// One shard's share saved; the total waits for the others.
    package static let waitingForShards = SetOutcome(wire: "waiting_for_shards")
}
