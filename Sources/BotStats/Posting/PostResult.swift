import Foundation

/// How a manual `post` ended for one target, as returned to `botstatsctl post`.
public struct PostResult: Codable, Sendable, Equatable {
    public var bot: String
    public var target: String
    /// `delivered`, `failed`, `retrying` (waiting for a backoff), `deferred` (a list's cooldown or
    /// an open circuit), `disabled`, `stopped` or `dry_run` (logged, not sent).
    public var outcome: String
    public var state: TargetState
    public var httpStatus: Int?
    public var error: String?
    public var nextAttemptAt: Date?

    public init(bot: String, target: String, outcome: String, state: TargetState, httpStatus: Int?, error: String?, nextAttemptAt: Date?) {
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
    /// `accepted`, `held` (drop guard) or `waiting_for_shards`.
    public var outcome: String
    /// The accepted or held counts; nil while shards are still reporting.
    public var counts: BotCounts?
    /// Targets that will be posted to (enabled ones); empty unless accepted.
    public var targets: [String]
    /// Why the counts were held, or how many shards are still missing.
    public var message: String?

    public init(bot: String, outcome: String, counts: BotCounts?, targets: [String], message: String?) {
        self.bot = bot
        self.outcome = outcome
        self.counts = counts
        self.targets = targets
        self.message = message
    }
}
