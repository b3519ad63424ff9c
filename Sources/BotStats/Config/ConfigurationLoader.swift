import Foundation
import Logging
import TOMLKit

#if canImport(Glibc)
import Glibc
#endif

/// Loads `botstatsd.toml` and `bots.d/*.toml` beside it into one validated `Configuration`.
///
/// Everything is checked before anything is returned, and every problem is reported at once,
/// each naming the file, the line where it can be found and the full key path.
///
/// ## Configuration keys
/// - `daemon.control_socket` (string path; default `$RUNTIME_DIRECTORY/control.sock`, else
///   `/run/botstatsd/control.sock`), `daemon.state_directory` (default `$STATE_DIRECTORY`, else
///   `/var/lib/botstatsd`), `daemon.log_level` (trace … critical; default info),
///   `daemon.metrics_listen` (`host:port`; default off).
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
public struct ConfigurationLoader: Sendable {
    public let environment: ConfigurationEnvironment

    public init(environment: ConfigurationEnvironment) {
        self.environment = environment
    }

    static let placeholders: Set<String> = ["bot_id", "servers", "users", "shards", "token"]
    static let logLevels: [String: Logger.Level] = [
        "trace": .trace, "debug": .debug, "info": .info, "notice": .notice, "warning": .warning,
        "error": .error, "critical": .critical,
    ]

    /// The configuration at `path` with its drop-ins, or every error found.
    public func load(path: String) throws(ConfigurationErrors) -> LoadedConfiguration {
        let issues = ConfigurationIssues()
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let directory = (absolute as NSString).deletingLastPathComponent
        guard let main = parse(file: absolute, issues: issues) else {
            throw ConfigurationErrors(errors: issues.errors)
        }
        main.rejectUnknownKeys(allowed: ["daemon", "bot", "retry", "targets"])
        let daemon = readDaemon(main.table("daemon") ?? emptyReader(like: main, path: "daemon"), directory: directory)
        let retry = readRetry(main.table("retry"))

        var bots: [BotSettings] = []
        let dropInFiles = dropIns(in: directory + "/bots.d", issues: issues)
        if main.has("bot") || main.has("targets") || dropInFiles.isEmpty {
            if let bot = readBot(main, defaultName: "main", directory: directory) { bots.append(bot) }
        }
        for file in dropInFiles {
            guard let reader = parse(file: file, issues: issues) else { continue }
            reader.rejectUnknownKeys(allowed: ["bot", "targets"])
            let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            if let bot = readBot(reader, defaultName: stem, directory: directory + "/bots.d") { bots.append(bot) }
        }
        var seen: [String: String] = [:]
        var seenIDs: [String: BotSettings] = [:]
        for bot in bots {
            if let other = seen[bot.name] {
                issues.error(file: bot.sourceFile, locator: nil, keyPath: "bot.name", "'\(bot.name)' is also the name of the bot in \(other)")
            }
            seen[bot.name] = bot.sourceFile
            // Two bots with one id would post over each other's counts on every list.
            if let other = seenIDs[bot.id] {
                issues.error(
                    file: bot.sourceFile, locator: nil, keyPath: "bot.id",
                    "the same id as bot '\(other.name)' in \(other.sourceFile); each bot posts its own counts, so ids must differ")
            }
            seenIDs[bot.id] = seenIDs[bot.id] ?? bot
        }
        guard issues.errors.isEmpty, let daemon, let retry else {
            throw ConfigurationErrors(errors: issues.sortedErrors)
        }
        for bot in bots where bot.targets.isEmpty {
            issues.warning("\(bot.sourceFile): bot '\(bot.name)' has no targets; its counts are kept but posted nowhere")
        }
        return LoadedConfiguration(
            configuration: Configuration(path: absolute, daemon: daemon, retry: retry, bots: bots),
            warnings: issues.warnings)
    }

    // MARK: - Files

    private func parse(file: String, issues: ConfigurationIssues) -> TableReader? {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : String(cString: strerror(errno))
            issues.error(file: file, locator: nil, keyPath: "", "cannot read the configuration: \(reason)")
            return nil
        }
        close(fd)
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            issues.error(file: file, locator: nil, keyPath: "", "cannot read the configuration: not UTF-8 text")
            return nil
        }
        do {
            let table = try TOMLTable(string: text)
            return TableReader(table: table, path: "", file: file, locator: KeyLineLocator(source: text), issues: issues)
        } catch let error as TOMLParseError {
            issues.append(ConfigurationError(
                file: file, line: error.source.begin.line, keyPath: "", message: "TOML syntax error: \(error.description)"))
            return nil
        } catch {
            issues.error(file: file, locator: nil, keyPath: "", "TOML syntax error: \(error)")
            return nil
        }
    }

    private func emptyReader(like reader: TableReader, path: String) -> TableReader {
        TableReader(table: TOMLTable(), path: path, file: reader.file, locator: reader.locator, issues: reader.issues)
    }

    private func dropIns(in directory: String, issues: ConfigurationIssues) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") }.sorted().map { directory + "/" + $0 }
    }

    private func fileMode(_ file: String) -> mode_t? {
        var info = stat()
        return stat(file, &info) == 0 ? info.st_mode : nil
    }

    // MARK: - [daemon] and [retry]

    private func readDaemon(_ reader: TableReader, directory: String) -> DaemonSettings? {
        reader.rejectUnknownKeys(allowed: ["control_socket", "state_directory", "log_level", "metrics_listen"])
        func path(_ key: String) -> String? {
            guard let value = reader.string(key) else { return nil }
            guard !value.isEmpty else {
                reader.error(key, "must not be empty")
                return nil
            }
            return value.hasPrefix("/") ? value : directory + "/" + value
        }
        let socket = path("control_socket")
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

    // MARK: - [bot] and [targets.*]

    private func readBot(_ top: TableReader, defaultName: String, directory: String) -> BotSettings? {
        guard let bot = top.table("bot") else {
            if !top.has("bot") { top.error("bot", "missing required table") }
            return nil
        }
        bot.rejectUnknownKeys(allowed: [
            "id", "name", "repost_interval", "source", "discord_token_file", "discord_token_credential",
            "discord_token", "discord_base_url", "shard_timeout", "drop_guard",
        ])
        let tokens = TokenReader(environment: environment, configDirectory: directory, configMode: fileMode(top.file))
        let id = bot.string("id", required: true)
        if let id, !(id.count >= 15 && id.count <= 21 && id.allSatisfy { $0.isASCII && $0.isNumber }) {
            // The value is not echoed: a token pasted into the wrong key must not reach a log.
            bot.error("id", "is not a Discord application id (15 to 21 digits, as a string)")
        }
        let name = bot.string("name") ?? defaultName
        if !Self.isValidName(name) { bot.error("name", "'\(name.prefix(64))' may only hold letters, digits, '_', '.' and '-', and may not start with '.'") }
        let interval = bot.duration("repost_interval", minimum: .seconds(1)) ?? .seconds(3600)
        if interval > .seconds(30 * 86400) { bot.error("repost_interval", "must be at most 30d") }
        let shardTimeout = bot.duration("shard_timeout", minimum: .seconds(1))
        var dropGuard = 0.5
        if let value = bot.table["drop_guard"] {
            if let number = value.double ?? value.int.map(Double.init), number > 0, number <= 1 {
                dropGuard = number
            } else {
                bot.error("drop_guard", "expected a fraction above 0 and at most 1 (0.5 holds back a fall of more than half)")
            }
        }
        var source = CountSource.push
        switch bot.string("source") ?? "push" {
        case "push":
            for key in ["discord_token_file", "discord_token_credential", "discord_token", "discord_base_url"] where bot.has(key) {
                bot.error(key, "only used with source = \"discord\"")
            }
        case "discord":
            let base = bot.string("discord_base_url") ?? "https://discord.com/api/v10"
            if let problem = Self.baseURLProblem(base) { bot.error("discord_base_url", problem) }
            if let token = tokens.token(in: bot, prefix: "discord_") { source = .discord(token: token, baseURL: base) }
        case let other:
            bot.error("source", "'\(other)' is not push or discord")
        }
        var targets: [TargetSettings] = []
        if let table = top.table("targets") {
            for targetName in table.table.keys.sorted(by: { lineOrder(table, $0) < lineOrder(table, $1) }) {
                guard let target = table.table(targetName) else { continue }
                if let settings = readTarget(target, name: targetName, tokens: tokens) { targets.append(settings) }
            }
        }
        guard let id else { return nil }
        return BotSettings(
            name: name, id: id, repostInterval: interval, source: source, sourceFile: top.file,
            shardTimeout: shardTimeout, dropGuard: dropGuard, targets: targets)
    }

    private func lineOrder(_ table: TableReader, _ key: String) -> Int {
        table.locator.line(of: table.keyPath(key)) ?? Int.max
    }

    private func readTarget(_ reader: TableReader, name: String, tokens: TokenReader) -> TargetSettings? {
        if !Self.isValidName(name) {
            reader.error("", "target names may only hold letters, digits, '_', '.' and '-'")
        }
        let builtinKeys: Set<String> = ["provider", "token_file", "token_credential", "token", "base_url", "enabled"]
        let providerName: String
        if let given = reader.string("provider") {
            providerName = given
        } else if reader.has("provider") {
            return nil
        } else if ProviderTable.provider(named: name) != nil {
            providerName = name
        } else {
            reader.error("provider", "missing: '\(name)' is not a built-in provider, so provider must be set (one of: \(ProviderTable.acceptedNames.joined(separator: ", ")))")
            return nil
        }
        let enabled = reader.bool("enabled") ?? true
        let token = tokens.token(in: reader)
        let shape: RequestShape
        var baseURL: String?
        if providerName == "custom" {
            reader.rejectUnknownKeys(allowed: builtinKeys.subtracting(["base_url"]).union(["url", "method", "headers", "body"]))
            guard let url = reader.string("url", required: true) else { return nil }
            if !Self.isHTTPURL(url) { reader.error("url", "'\(url)' is not an http:// or https:// URL") }
            checkPlaceholders(url, key: "url", allowToken: false, reader: reader)
            let method = (reader.string("method") ?? "POST").uppercased()
            if !["GET", "POST", "PUT", "PATCH"].contains(method) { reader.error("method", "'\(method)' is not GET, POST, PUT or PATCH") }
            let headers = (reader.stringTable("headers") ?? []).map { HeaderTemplate(name: $0.0, value: $0.1) }
            for header in headers {
                checkPlaceholders(header.value, key: "headers.\(header.name)", allowToken: true, reader: reader)
                if header.name.isEmpty || !header.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
                    reader.error("headers", "a header name may only hold letters, digits, '-' and '_'")
                }
                // Scalars, not Characters: "\r\n" is a single Character.
                if header.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                    reader.error("headers.\(header.name)", "a header value must not contain line breaks")
                }
            }
            let body = reader.string("body")
            if let body { checkPlaceholders(body, key: "body", allowToken: false, reader: reader) }
            if method == "GET", body != nil {
                reader.error("body", "a GET request carries no body; use POST, PUT or PATCH, or remove body")
            }
            if !headers.contains(where: { $0.value.contains("{token}") }) {
                reader.warning(
                    "", "no header uses {token}, so the list is sent no credentials; e.g. headers = { Authorization = \"{token}\" }")
            }
            shape = .custom(CustomTemplate(url: url, method: method, headers: headers, body: body))
        } else if let spec = ProviderTable.provider(named: providerName) {
            reader.rejectUnknownKeys(allowed: builtinKeys)
            baseURL = reader.string("base_url")
            if let base = baseURL, let problem = Self.baseURLProblem(base) { reader.error("base_url", problem) }
            shape = .builtin(spec)
        } else {
            // The value is not echoed: a token pasted into the wrong key must not reach a log.
            reader.error("provider", "unknown provider (expected one of: \(ProviderTable.acceptedNames.joined(separator: ", ")))")
            return nil
        }
        guard let token else { return nil }
        return TargetSettings(name: name, request: shape, baseURL: baseURL, token: token, enabled: enabled)
    }

    private func checkPlaceholders(_ template: String, key: String, allowToken: Bool, reader: TableReader) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            rest = rest[rest.index(after: open)...]
            let name = rest.prefix { ($0.isASCII && $0.isLetter && $0.isLowercase) || $0 == "_" }
            guard !name.isEmpty, rest.dropFirst(name.count).first == "}" else { continue }
            if !Self.placeholders.contains(String(name)) {
                reader.error(key, "unknown placeholder {\(name)} (known: {bot_id} {servers} {users} {shards}, and {token} in headers)")
            } else if name == "token" && !allowToken {
                reader.error(key, "{token} is only allowed in headers, where it cannot leak into logs")
            }
        }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".") && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    /// What is wrong with a `host:port` listen address, or nil. IPv6 hosts need brackets
    /// (`[::1]:9470`), or the port could not be told from the address.
    static func listenAddressProblem(_ text: String) -> String? {
        let example = "e.g. \"127.0.0.1:9470\" or \"[::1]:9470\""
        guard let colon = text.lastIndex(of: ":") else { return "'\(text)' is not host:port, \(example)" }
        let host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard !host.isEmpty, let port = Int(portText) else { return "'\(text)' is not host:port, \(example)" }
        if host.hasPrefix("[") != host.hasSuffix("]") || (host.hasPrefix("[") && host.count < 3) {
            return "'\(text)' is not host:port, \(example)"
        }
        if !host.hasPrefix("["), host.contains(":") {
            return "'\(text)': an IPv6 address needs brackets, e.g. \"[::1]:9470\""
        }
        guard (1...65535).contains(port) else { return "port \(port) is not between 1 and 65535" }
        return nil
    }

    /// What is wrong with a base URL the provider's path is appended to, or nil.
    static func baseURLProblem(_ text: String) -> String? {
        guard isHTTPURL(text) else { return "'\(text)' is not an http:// or https:// URL" }
        if text.contains("?") || text.contains("#") {
            return "'\(text)' has a query or fragment; the provider's path is appended to it, so it must end at a path"
        }
        return nil
    }

    static func isHTTPURL(_ text: String) -> Bool {
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
            let host = text.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" }
            return !host.isEmpty && !text.contains(" ")
        }
        return false
    }
}
