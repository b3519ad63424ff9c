import Logging
import BotStatsProtocol

/// The daemon's whole configuration: the main file and its drop-ins, parsed and validated once.
///
/// Built by `ConfigurationLoader` from a file and the process environment; nothing below the
/// entry point reads the environment or the file system for settings again.
package struct Configuration: Sendable, Equatable {
    /// The main configuration file this value was loaded from.
    package var path: String
    /// `[daemon]`: sockets, directories, logging.
    package var daemon: DaemonSettings
    /// `[retry]`: how posts are retried and timed out.
    package var retry: RetrySettings
    /// Every configured bot: the main file's first, then `bots.d/*.toml` in name order.
    package var bots: [BotSettings]

    package init(path: String, daemon: DaemonSettings, retry: RetrySettings, bots: [BotSettings]) {
        self.path = path
        self.daemon = daemon
        self.retry = retry
        self.bots = bots
    }
}

/// `[daemon]`: where the daemon listens and keeps its state.
package struct DaemonSettings: Sendable, Equatable {
    /// Path of the Unix control socket the daemon binds when systemd passes none.
    package var controlSocket: String
    /// Directory holding the per-bot state files (`bots/<name>.json`).
    package var stateDirectory: String
    /// Lowest log level written to stderr.
    package var logLevel: Logger.Level
    /// `host:port` of the optional Prometheus endpoint; nil when off.
    package var metricsListen: String?
    /// The network intake for shards on other hosts; nil when off (`intake_listen` unset).
    package var intake: IntakeSettings?

    package init(
        controlSocket: String, stateDirectory: String, logLevel: Logger.Level = .info, metricsListen: String? = nil,
        intake: IntakeSettings? = nil
    ) {
        self.intake = intake
        self.controlSocket = controlSocket
        self.stateDirectory = stateDirectory
        self.logLevel = logLevel
        self.metricsListen = metricsListen
    }
}

/// `[retry]`: attempts, backoff and per-request timeout for every post.
package struct RetrySettings: Sendable, Equatable {
    /// Attempts per post, the first try included (at least 1).
    package var maxAttempts: Int
    /// Base of the exponential backoff.
    package var baseDelay: Duration
    /// Cap of one backoff wait; a required wait longer than this defers the post instead.
    package var maxDelay: Duration
    /// One request, connect to last byte.
    package var timeout: Duration

    package init(
        maxAttempts: Int = 5,
        baseDelay: Duration = .seconds(1),
        maxDelay: Duration = .seconds(15 * 60),
        timeout: Duration = .seconds(30)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.timeout = timeout
    }
}

/// Where a bot's counts come from.
package enum CountSource: Sendable, Equatable {
    /// Counts arrive over the control socket (`botstatsctl set`).
    case push
    /// Counts are fetched from Discord's `GET /applications/@me` before each repost.
    case discord(token: Secret, baseURL: String)
}

/// One bot: its Discord id, its repost timer and the lists it is posted to.
package struct BotSettings: Sendable, Equatable {
    /// Name used by `--bot` and in status: `[bot] name`, else the drop-in's stem, else `main`.
    package var name: String
    /// The bot's Discord application id (a snowflake, digits only).
    package var id: String
    /// Cached counts are posted again this often.
    package var repostInterval: Duration
    /// Where counts come from.
    package var source: CountSource
    /// The file this bot was read from (for error messages).
    package var sourceFile: String
    /// A shard that has not reported for this long is flagged in status (default 2 × repost_interval).
    package var shardTimeout: Duration
    /// A new total more than this fraction below the last posted one is held back until confirmed.
    package var dropGuard: Double
    /// The bot's lists, in the order of the file.
    package var targets: [TargetSettings]

    package init(
        name: String,
        id: String,
        repostInterval: Duration = .seconds(3600),
        source: CountSource = .push,
        sourceFile: String,
        shardTimeout: Duration? = nil,
        dropGuard: Double = 0.5,
        targets: [TargetSettings]
    ) {
        self.shardTimeout = shardTimeout ?? repostInterval * 2
        self.dropGuard = dropGuard
        self.name = name
        self.id = id
        self.repostInterval = repostInterval
        self.source = source
        self.sourceFile = sourceFile
        self.targets = targets
    }
}

/// One bot list a bot is posted to: `[targets.NAME]`.
package struct TargetSettings: Sendable, Equatable {
    /// The table name, unique per bot.
    package var name: String
    /// The request to send: a built-in provider's shape or a custom template.
    package var request: RequestShape
    /// Replaces the provider's default base URL (built-in providers only).
    package var baseURL: String?
    /// The list's API token.
    package var token: Secret
    /// A disabled target is shown in status but never posted to.
    package var enabled: Bool

    package init(name: String, request: RequestShape, baseURL: String? = nil, token: Secret, enabled: Bool = true) {
        self.name = name
        self.request = request
        self.baseURL = baseURL
        self.token = token
        self.enabled = enabled
    }

    /// The provider name shown in status (`custom` for custom templates).
    package var providerName: String {
        switch request {
        case .builtin(let spec): return spec.name
        case .custom: return "custom"
        }
    }
}
