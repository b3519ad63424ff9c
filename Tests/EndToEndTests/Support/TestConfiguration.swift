import Foundation

/// The configuration an end-to-end test starts `botstatsd` with, as plain values; ``render(in:)`` writes it.
///
/// Rendering into a test's directory writes every token to a file of its own under `tokens/` (mode 0600; one
/// file per distinct token), writes each drop-in bot to `bots.d/<name>.toml` (and removes any other
/// `bots.d/*.toml`, so a configuration without a drop-in really has none), and returns the text of
/// `botstatsd.toml`. Relative `control_socket` and `state_directory` paths are taken inside the directory, so
/// the defaults are where ``DaemonHarness`` looks.
///
/// ```swift
/// var config = TestConfiguration(bot: .init(id: "123456789012345678", targets: [
///     .init("topgg", token: "tgg-SECRET", baseURL: "\(list.baseURL)/topgg"),
///     .init("dbl", provider: "discordbotlist", token: "dbl-SECRET", baseURL: "\(list.baseURL)/dbl"),
/// ]))
/// config.retry = .init(baseDelay: "200ms", timeout: "5s")
/// let daemon = try await DaemonHarness.start(configTOML: config.render)
/// ```
struct TestConfiguration: Sendable {
    /// A `[bot]` table with its `[targets.*]`: the main file's bot or a drop-in's.
    struct Bot: Sendable {
        /// `id`, the bot's Discord id.
        var id: String
        /// `repost_interval`, e.g. `"1h"`; omitted when nil.
        var repostInterval: String?
        /// `source = "discord"` with the token (written to a file) and the base URL to fetch counts from.
        var discord: DiscordSource?
        /// The bot's lists, in order.
        var targets: [Target]

        init(id: String, repostInterval: String? = nil, discord: DiscordSource? = nil, targets: [Target] = []) {
            self.id = id
            self.repostInterval = repostInterval
            self.discord = discord
            self.targets = targets
        }
    }

    /// `source = "discord"`: where the daemon fetches the bot's counts, and with which token.
    struct DiscordSource: Sendable {
        /// The bot token, written to a file named in `discord_token_file`.
        var token: String
        /// `discord_base_url`, e.g. `"\(list.baseURL)/discord/api/v10"`.
        var baseURL: String
    }

    /// One `[targets.<name>]` table.
    struct Target: Sendable {
        /// The table's name, `<name>` in `[targets.<name>]`.
        var name: String
        /// `provider`; omitted when nil (the daemon then takes the name).
        var provider: String?
        /// The list's token, exactly as the file should hold it (a trailing newline is kept).
        var token: String
        /// `base_url`, e.g. `"\(list.baseURL)/topgg"`; omitted when nil.
        var baseURL: String?

        init(_ name: String, provider: String? = nil, token: String, baseURL: String?) {
            self.name = name
            self.provider = provider
            self.token = token
            self.baseURL = baseURL
        }
    }

    /// The `[retry]` table; keys left nil are omitted (the daemon's defaults apply).
    struct Retry: Sendable {
        var maxAttempts: Int?
        var baseDelay: String?
        var maxDelay: String?
        var timeout: String?

        init(maxAttempts: Int? = nil, baseDelay: String? = nil, maxDelay: String? = nil, timeout: String? = nil) {
            self.maxAttempts = maxAttempts
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.timeout = timeout
        }
    }

    /// `daemon.log_level`; omitted when nil.
    var logLevel: String? = "debug"
    /// `daemon.control_socket`, relative to the test's directory unless it starts with `/`.
    var controlSocket = "control.sock"
    /// `daemon.state_directory`, relative to the test's directory unless it starts with `/`.
    var stateDirectory = "state"
    /// `daemon.metrics_listen`, e.g. `"127.0.0.1:9100"`; omitted when nil.
    var metricsListen: String?
    /// The bot of `botstatsd.toml`; nil for a file whose bots are all drop-ins.
    var bot: Bot?
    /// The `[retry]` table; omitted when nil.
    var retry: Retry?
    /// The bots of `bots.d/`, by file name without `.toml`.
    var dropIns: [String: Bot] = [:]
    /// TOML appended as it is to the end of `botstatsd.toml`, after the last target, for what the other
    /// properties do not say; start it with a table header.
    var extraTOML = ""

    init(bot: Bot? = nil, retry: Retry? = nil, dropIns: [String: Bot] = [:]) {
        self.bot = bot
        self.retry = retry
        self.dropIns = dropIns
    }

    /// One bot posting to discordbotlist (`dbl`, servers and users) and top.gg (`topgg`, servers
    /// and shards), both on `list` under those path prefixes, sharing one token (so one token file).
    static func dblAndTopgg(botID: String, on list: FakeBotList, token: String) -> TestConfiguration {
        TestConfiguration(
            bot: .init(
                id: botID,
                targets: [
                    .init("dbl", provider: "discordbotlist", token: token, baseURL: "\(list.baseURL)/dbl"),
                    .init("topgg", token: token, baseURL: "\(list.baseURL)/topgg"),
                ]))
    }

    /// Writes the token files and drop-ins into `dir` and returns the text of `botstatsd.toml`.
    func render(in dir: URL) throws -> String {
        var tokenFiles = TokenFiles(directory: dir)
        var text = "[daemon]\n"
        text += "control_socket = \(Self.quoted(Self.path(controlSocket, in: dir)))\n"
        text += "state_directory = \(Self.quoted(Self.path(stateDirectory, in: dir)))\n"
        if let logLevel { text += "log_level = \(Self.quoted(logLevel))\n" }
        if let metricsListen { text += "metrics_listen = \(Self.quoted(metricsListen))\n" }
        if let retry {
            text += "\n[retry]\n"
            if let maxAttempts = retry.maxAttempts { text += "max_attempts = \(maxAttempts)\n" }
            if let baseDelay = retry.baseDelay { text += "base_delay = \(Self.quoted(baseDelay))\n" }
            if let maxDelay = retry.maxDelay { text += "max_delay = \(Self.quoted(maxDelay))\n" }
            if let timeout = retry.timeout { text += "timeout = \(Self.quoted(timeout))\n" }
        }
        if let bot {
            text += try Self.render(bot, named: "main", tokenFiles: &tokenFiles)
        }
        if !extraTOML.isEmpty {
            text += "\n" + extraTOML + (extraTOML.hasSuffix("\n") ? "" : "\n")
        }
        try writeDropIns(in: dir, tokenFiles: &tokenFiles)
        return text
    }

    // MARK: Private

    /// Token files already written, by token: targets that share a token share its file.
    private struct TokenFiles {
        let directory: URL
        var paths: [String: String] = [:]

        init(directory: URL) {
            self.directory = directory
        }

        /// The path of the file holding `token`, written as `tokens/<bot>.<name>` the first time.
        mutating func path(for token: String, bot: String, name: String) throws -> String {
            if let path = paths[token] { return path }
            let path = try DaemonHarness.writeToken(token, named: "\(bot).\(name)", in: directory)
            paths[token] = path
            return path
        }
    }

    private static func render(_ bot: Bot, named botName: String, tokenFiles: inout TokenFiles) throws -> String {
        var text = "\n[bot]\nid = \(quoted(bot.id))\n"
        if let repostInterval = bot.repostInterval { text += "repost_interval = \(quoted(repostInterval))\n" }
        if let discord = bot.discord {
            let file = try tokenFiles.path(for: discord.token, bot: botName, name: "discord")
            text += "source = \"discord\"\n"
            text += "discord_token_file = \(quoted(file))\n"
            text += "discord_base_url = \(quoted(discord.baseURL))\n"
        }
        for target in bot.targets {
            let file = try tokenFiles.path(for: target.token, bot: botName, name: target.name)
            text += "\n[targets.\(target.name)]\n"
            if let provider = target.provider { text += "provider = \(quoted(provider))\n" }
            text += "token_file = \(quoted(file))\n"
            if let baseURL = target.baseURL { text += "base_url = \(quoted(baseURL))\n" }
        }
        return text
    }

    /// Makes `bots.d/` hold exactly ``dropIns``; leaves it alone when there are none and it does not exist.
    private func writeDropIns(in dir: URL, tokenFiles: inout TokenFiles) throws {
        let fileManager = FileManager.default
        let directory = dir.appendingPathComponent("bots.d", isDirectory: true)
        let existing = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in existing where name.hasSuffix(".toml") && dropIns[String(name.dropLast(5))] == nil {
            try fileManager.removeItem(at: directory.appendingPathComponent(name))
        }
        guard !dropIns.isEmpty else { return }
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, bot) in dropIns {
            let text = try Self.render(bot, named: name, tokenFiles: &tokenFiles)
            try Data(text.dropFirst().utf8).write(to: directory.appendingPathComponent("\(name).toml"), options: .atomic)
        }
    }

    private static func path(_ path: String, in dir: URL) -> String {
        path.hasPrefix("/") ? path : dir.appendingPathComponent(path).path
    }

    /// A TOML basic string: quotes and backslashes escaped.
    private static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
