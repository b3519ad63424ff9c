import Logging
import BotStatsProtocol

/// Loads `botstatsd.toml` and `bots.d/*.toml` beside it into one validated `Configuration`.
///
/// Everything is checked before anything is returned, and every problem is reported at once,
/// each naming the file, the line where it can be found and the full key path.
///
/// ## Configuration keys
/// - `daemon.control_socket` (string path; default `$RUNTIME_DIRECTORY/control.sock`, else
///   `/run/botstatsd/control.sock`), `daemon.state_directory` (default `$STATE_DIRECTORY`, else
///   `/var/lib/botstatsd`), `daemon.log_level` (trace … critical; default info),
///   `daemon.metrics_listen` (`host:port`; default off), `daemon.intake_listen` (`host:port`;
///   default off), `daemon.intake_allow_plaintext` (bool, default false).
/// - `intake.requests_per_minute` (1…100000, default 600), `intake.clients.NAME.token_file|
///   .token_credential|.token` (secret), `intake.clients.NAME.bots` (array of bot names or `*`).
/// - `bot.id` (required snowflake string), `bot.name`, `bot.repost_interval` (≥ 1s, default 1h),
///   `bot.shard_timeout` (default 2 × repost_interval), `bot.drop_guard` (0 < x ≤ 1, default 0.5),
///   `bot.source` (`push` | `discord`), `bot.discord_token_file|_credential|_token` (secret),
///   `bot.discord_base_url`.
/// - `retry.max_attempts` (1…100, default 5), `retry.base_delay` (1s), `retry.max_delay` (15m),
///   `retry.timeout` (30s).
/// - `targets.NAME.provider`, `.token_file|.token_credential|.token` (secret), `.base_url`,
///   `.enabled`; for `custom` also `.url`, `.method`, `.headers`, `.body`.
///
/// Relative paths are resolved against the directory of the file that names them.
/// `token_credential` reads `$CREDENTIALS_DIRECTORY`, or `tokens/` beside the main file when that
/// is unset (see `TokenReader`). Files are read by `ConfigurationFile`: regular files only, bounded,
/// never blocking; TOML is parsed by `TOMLParser`, which gives every key its line.
package struct ConfigurationLoader: Sendable {
    package let environment: ConfigurationEnvironment

    package init(environment: ConfigurationEnvironment) {
        self.environment = environment
    }

    static let placeholders: Set<String> = ["bot_id", "servers", "users", "shards", "token"]
    static let logLevels: [String: Logger.Level] = [
        "trace": .trace, "debug": .debug, "info": .info, "notice": .notice, "warning": .warning,
        "error": .error, "critical": .critical,
    ]

    /// The configuration at `path` with its drop-ins, or every error found.
    package func load(path: String) throws(ConfigurationErrors) -> LoadedConfiguration {
        let issues = ConfigurationIssues()
        let absolute = ConfigurationFile.absolute(path)
        let directory = ConfigurationFile.directory(of: absolute)
        guard let mainFile = ConfigurationFile.parse(absolute, issues: issues) else {
            throw ConfigurationErrors(errors: issues.errors)
        }
        let main = mainFile.reader
        main.rejectUnknownKeys(allowed: ["daemon", "bot", "retry", "targets", "intake"])
        let daemonReader = main.table("daemon") ?? emptyReader(like: main, path: "daemon")
        var daemon = readDaemon(daemonReader, directory: directory)
        let retry = readRetry(main.table("retry"))

        var bots: [BotSettings] = []
        let dropInFiles = ConfigurationFile.dropIns(in: directory + "/bots.d", issues: issues)
        let credentials = directory + "/tokens"
        if main.has("bot") || main.has("targets") || dropInFiles.isEmpty {
            let tokens = TokenReader(
                environment: environment, configDirectory: directory, credentialFallbackDirectory: credentials,
                configMode: mainFile.mode)
            if let bot = readBot(main, defaultName: "main", tokens: tokens) { bots.append(bot) }
        }
        for path in dropInFiles {
            guard let file = ConfigurationFile.parse(path, issues: issues) else { continue }
            file.reader.rejectUnknownKeys(allowed: ["bot", "targets"])
            let tokens = TokenReader(
                environment: environment, configDirectory: directory + "/bots.d",
                credentialFallbackDirectory: credentials, configMode: file.mode)
            if let bot = readBot(file.reader, defaultName: ConfigurationFile.stem(of: path), tokens: tokens) {
                bots.append(bot)
            }
        }
        var seen: [String: String] = [:]
        var seenIDs: [String: BotSettings] = [:]
        for bot in bots {
            if let other = seen[bot.name] {
                issues.error(file: bot.sourceFile, line: nil, keyPath: "bot.name", "'\(bot.name)' is also the name of the bot in \(other)")
            }
            seen[bot.name] = bot.sourceFile
            // Two bots with one id would post over each other's counts on every list.
            if let other = seenIDs[bot.id] {
                issues.error(
                    file: bot.sourceFile, line: nil, keyPath: "bot.id",
                    "the same id as bot '\(other.name)' in \(other.sourceFile); each bot posts its own counts, so ids must differ")
            }
            seenIDs[bot.id] = seenIDs[bot.id] ?? bot
        }
        daemon?.intake = readIntake(
            daemon: daemonReader, intake: main.table("intake"), bots: bots.map(\.name),
            tokens: TokenReader(
                environment: environment, configDirectory: directory, credentialFallbackDirectory: credentials,
                configMode: mainFile.mode))
        guard issues.errors.isEmpty, let daemon, let retry else {
            throw ConfigurationErrors(errors: issues.sortedErrors)
        }
        for bot in bots where bot.targets.isEmpty {
            issues.warning("\(bot.sourceFile): bot '\(bot.name)' has no targets; its counts are kept but posted nowhere")
        }
        return LoadedConfiguration(
            configuration: Configuration(path: absolute, daemon: daemon, retry: retry, bots: bots),
            warnings: issues.warnings, notices: issues.notices)
    }

    private func emptyReader(like reader: TableReader, path: String) -> TableReader {
        TableReader(table: TOMLTableNode(), path: path, file: reader.file, issues: reader.issues)
    }

    // MARK: - [daemon] and [retry]

    private func readDaemon(_ reader: TableReader, directory: String) -> DaemonSettings? {
        reader.rejectUnknownKeys(allowed: [
            "control_socket", "state_directory", "log_level", "metrics_listen", "intake_listen", "intake_allow_plaintext",
        ])
        func path(_ key: String) -> String? {
            guard let value = reader.string(key) else { return nil }
            guard !value.isEmpty else {
                reader.error(key, "must not be empty")
                return nil
            }
            return value.hasPrefix("/") ? value : directory + "/" + value
        }
        let socket =
            path("control_socket")
            ?? environment.runtimeDirectory.map { $0 + "/control.sock" } ?? "/run/botstatsd/control.sock"
        // 107 bytes is the limit of a Unix socket path; 4 are kept for the ".new" staging name.
        if socket.utf8.count > 103 { reader.error("control_socket", "path longer than 103 bytes (Unix sockets allow 107, 4 are needed while binding)") }
        let state = path("state_directory") ?? environment.stateDirectory ?? "/var/lib/botstatsd"
        var level = Logger.Level.info
        if let text = reader.string("log_level") {
            if let parsed = Self.logLevels[text] {
                level = parsed
            } else {
                reader.error("log_level", "'\(text)' is not one of trace, debug, info, notice, warning, error, critical")
            }
        }
        let metrics = reader.string("metrics_listen")
        if let metrics, let problem = Self.listenAddressProblem(metrics) {
            reader.error("metrics_listen", problem)
        }
        return DaemonSettings(controlSocket: socket, stateDirectory: state, logLevel: level, metricsListen: metrics)
    }

    private func readRetry(_ reader: TableReader?) -> RetrySettings? {
        var settings = RetrySettings()
        guard let reader else { return settings }
        reader.rejectUnknownKeys(allowed: ["max_attempts", "base_delay", "max_delay", "timeout"])
        if let attempts = reader.int("max_attempts", range: 1...100) { settings.maxAttempts = attempts }
        if let base = reader.duration("base_delay") { settings.baseDelay = base }
        if let max = reader.duration("max_delay") { settings.maxDelay = max }
        if let timeout = reader.duration("timeout", minimum: .milliseconds(100)) {
            if timeout > .seconds(3600) { reader.error("timeout", "must be at most 1h") } else { settings.timeout = timeout }
        }
        if settings.maxDelay > .seconds(6 * 3600) { reader.error("max_delay", "must be at most 6h (the cap on any wait a list asks for)") }
        if settings.baseDelay > settings.maxDelay {
            reader.error("base_delay", "must not be longer than max_delay (\(DurationText.format(settings.maxDelay)))")
        }
        return settings
    }
}
