import Logging
import BotStatsProtocol

/// Reloads the configuration on SIGHUP or `botstatsctl reload`.
///
/// The new configuration is validated whole before anything changes; a bad one is rejected, the
/// old one keeps running, and the error goes to the log, the caller and `STATUS=`.
package struct ConfigurationReloader<C: Clock>: Sendable where C.Duration == Duration {
    let path: String
    let loader: ConfigurationLoader
    let engine: PostingEngine<C>
    let notifier: any ServiceNotifier
    let logger: Logger
    let logSettings: LiveLogSettings
    let monotonicMicroseconds: @Sendable () -> UInt64
    /// One reload at a time: each reads the file when its turn comes, so the last one asked
    /// for applies the file as it is then, never an earlier reload's older reading.
    private let gate = AsyncSlots(limit: 1)

    package init(
        path: String, loader: ConfigurationLoader, engine: PostingEngine<C>, notifier: any ServiceNotifier,
        logger: Logger, logSettings: LiveLogSettings,
        monotonicMicroseconds: @escaping @Sendable () -> UInt64 = SystemdNotifier.monotonicMicroseconds
    ) {
        self.logSettings = logSettings
        self.path = path
        self.loader = loader
        self.engine = engine
        self.notifier = notifier
        self.logger = logger
        self.monotonicMicroseconds = monotonicMicroseconds
    }

    /// Reloads and answers with the new size, or with why the new configuration was rejected.
    ///
    /// Reloads asked for at once (SIGHUPs, `botstatsctl reload`s) run one after another.
    package func reload() async throws(ControlError) -> ReloadResult {
        try await gate.runToCompletion { () async throws(ControlError) -> ReloadResult in
            try await reloadNow()
        }
    }

    private func reloadNow() async throws(ControlError) -> ReloadResult {
        notifier.reloading(monotonicMicroseconds: monotonicMicroseconds())
        logger.notice("reloading configuration", metadata: ["file": "\(path)"])
        let loaded: LoadedConfiguration
        do {
            loaded = try loader.load(path: path)
        } catch {
            let message = error.errors.map(\.description).joined(separator: "; ")
            logger.error("reload rejected; the previous configuration keeps running", metadata: ["errors": "\(message)"])
            await engine.recordReloadFailure(message)
            notifier.notify("READY=1\nSTATUS=\(await engine.statusLine())")
            throw ControlError(.reloadFailed, message)
        }
        // New tokens are redacted before anything can log them; the new level applies at once.
        logSettings.update(level: loaded.configuration.daemon.logLevel, secrets: loaded.configuration.allSecrets)
        for warning in loaded.warnings { logger.warning("\(warning)") }
        for notice in loaded.notices { logger.notice("\(notice)") }
        await engine.apply(loaded.configuration)
        let size = await engine.size()
        logger.notice("configuration reloaded", metadata: ["bots": "\(size.bots)", "targets": "\(size.targets)"])
        notifier.ready(status: await engine.statusLine())
        return ReloadResult(configPath: path, bots: size.bots, targets: size.targets)
    }
}
