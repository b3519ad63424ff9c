import Logging
import Synchronization
import BotStatsProtocol

/// The log level and the tokens to redact, shared by every logger of one daemon and replaced by
/// a reload.
///
/// Loggers are values copied into every component at start; they all read these settings when
/// they log, so `log_level = "debug"` and a reload raise the level everywhere without a
/// restart, and a token added by a reload is redacted from then on.
package final class LiveLogSettings: Sendable {
    private struct Current {
        var level: Logger.Level
        var redactor: Redactor
    }

    private let current: Mutex<Current>

    package init(level: Logger.Level, secrets: [Secret]) {
        current = Mutex(Current(level: level, redactor: Redactor(secrets: secrets)))
    }

    package var level: Logger.Level { current.withLock { $0.level } }
    package var redactor: Redactor { current.withLock { $0.redactor } }

    /// Takes the level and tokens of a newly loaded configuration.
    package func update(level: Logger.Level, secrets: [Secret]) {
        let redactor = Redactor(secrets: secrets)
        current.withLock { $0 = Current(level: level, redactor: redactor) }
    }
}
