import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The configuration loader: defaults, every kind of bad input named by key path and line, tokens.
@Suite struct LoaderValidationTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "tok-SECRET-abc123\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.appendingPathComponent("token").path)
    }

    func write(_ text: String, mode: Int = 0o600, name: String = "botstatsd.toml") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func load(_ text: String, environment: ConfigurationEnvironment = .init(), mode: Int = 0o600) throws -> LoadedConfiguration {
        try ConfigurationLoader(environment: environment).load(path: try write(text, mode: mode))
    }

    func errors(_ text: String) throws -> String {
        do {
            _ = try load(text)
            Issue.record("expected errors")
            return ""
        } catch {
            return String(describing: error)
        }
    }

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("90s", .seconds(90)), ("15m", .seconds(900)), ("1h", .seconds(3600)),
        ("1h30m", .seconds(5400)), ("2d", .seconds(172_800)), ("1m30s500ms", .milliseconds(90_500)),
    ])
    func durationsParse(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: ["", "1.5h", "-1s", "1x", "h", "30m1h", "1h1h", " 1h", "1h ", "99999999999999h", "1H"])
    func badDurationsAreRejected(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func defaultsAndEnvironmentApply() throws {
        let loaded = try load(
            """
            [bot]
            id = "123456789012345678"

            [targets.topgg]
            token_file = "token"
            """, environment: ConfigurationEnvironment(runtimeDirectory: "/run/x", stateDirectory: "/var/lib/x"))
        let config = loaded.configuration
        #expect(config.daemon.controlSocket == "/run/x/control.sock")
        #expect(config.daemon.stateDirectory == "/var/lib/x")
        #expect(config.retry == RetrySettings())
        #expect(config.bots.count == 1)
        #expect(config.bots[0].name == "main")
        #expect(config.bots[0].repostInterval == .seconds(3600))
        #expect(config.bots[0].shardTimeout == .seconds(7200))
        #expect(config.bots[0].targets[0].token.revealed == "tok-SECRET-abc123")
        #expect(config.bots[0].targets[0].providerName == "topgg")
        #expect(loaded.warnings.isEmpty)
    }

    @Test(
        arguments: [
            ("[bot]\nid = \"123456789012345678\"\ncolour = \"red\"\n", "bot.colour: unknown key", 3),
            ("[bot]\nid = 123\n", "bot.id: must be a string: quote the id, id = \"123\"", 2),
            ("[bot]\nid = \"abc\"\n", "bot.id: is not a Discord application id", 2),
            ("[retry]\ntimeout = \"2000h\"\n[bot]\nid = \"123456789012345678\"\n", "retry.timeout: must be at most 1h", 2),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.x]\nprovider = \"custom\"\ntoken_file = \"token\"\nurl = \"https://a.example/\"\nheaders = { Authorization = \"Bot {token}\\r\\nX-Evil: 1\" }\n",
                "targets.x.headers.Authorization: a header value must not contain line breaks", nil
            ),
            ("[bot]\nid = \"123456789012345678\"\nrepost_interval = \"soon\"\n", "bot.repost_interval: 'soon' is not a duration", 3),
            ("[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_file = \"missing\"\n", "targets.topgg.token_file:", 4),
            ("[bot]\nid = \"123456789012345678\"\n[targets.topgg]\n", "targets.topgg.token_file: missing", 3),
            ("[bot]\nid = \"123456789012345678\"\n[targets.mine]\ntoken_file = \"token\"\n", "targets.mine.provider: missing", 3),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.x]\nprovider = \"nolist\"\ntoken_file = \"token\"\n",
                "targets.x.provider: unknown provider (expected one of", 4
            ),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.x]\nprovider = \"custom\"\ntoken_file = \"token\"\nurl = \"https://a.example/{token}\"\n",
                "targets.x.url: {token} is only allowed in headers", 6
            ),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.x]\nprovider = \"custom\"\ntoken_file = \"token\"\nurl = \"https://a.example/{guilds}\"\n",
                "targets.x.url: unknown placeholder {guilds}", 6
            ),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_file = \"token\"\ntoken = \"x\"\n",
                "only one of token_file, token_credential and token", nil
            ),
            ("[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_credential = \"topgg\"\n", "CREDENTIALS_DIRECTORY is not set", 4),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_file = \"token\"\nbase_url = \"ftp://x\"\n",
                "targets.topgg.base_url: 'ftp://x' is not an http", 5
            ),
            ("[retry]\nmax_attempts = 0\n[bot]\nid = \"123456789012345678\"\n", "retry.max_attempts: 0 is out of range", 2),
            (
                "[retry]\nbase_delay = \"1h\"\nmax_delay = \"1m\"\n[bot]\nid = \"123456789012345678\"\n", "retry.base_delay: must not be longer than max_delay",
                2
            ),
            ("[daemon]\nlog_level = \"loud\"\n[bot]\nid = \"123456789012345678\"\n", "daemon.log_level: 'loud' is not one of", 2),
            ("[daemon]\nmetrics_listen = \"9470\"\n[bot]\nid = \"123456789012345678\"\n", "daemon.metrics_listen: '9470' is not host:port", 2),
            ("[bot]\nid = \"123456789012345678\"\ndrop_guard = 2\n", "bot.drop_guard: expected a fraction", 3),
            ("[bot]\nid = \"123456789012345678\"\nname = \"..\"\n", "bot.name: '..' may only hold", 3),
            ("[daemon]\nmetrics_listen = \"127.0.0.1:0\"\n[bot]\nid = \"123456789012345678\"\n", "daemon.metrics_listen: port 0 is not between 1 and 65535", 2),
            (
                "[daemon]\nmetrics_listen = \"::1:9470\"\n[bot]\nid = \"123456789012345678\"\n",
                "daemon.metrics_listen: '::1:9470': an IPv6 address needs brackets", 2
            ),
            ("[daemon]\nmetrics_listen = \"[]:9470\"\n[bot]\nid = \"123456789012345678\"\n", "daemon.metrics_listen: '[]:9470' is not host:port", 2),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_file = \"token\"\nbase_url = \"https://a.example/api?x=1\"\n",
                "targets.topgg.base_url: 'https://a.example/api?x=1' has a query or fragment", 5
            ),
            (
                "[bot]\nid = \"123456789012345678\"\nsource = \"discord\"\ndiscord_token_file = \"token\"\ndiscord_base_url = \"https://d.example/#x\"\n",
                "bot.discord_base_url: 'https://d.example/#x' has a query or fragment", 5
            ),
            (
                "[bot]\nid = \"123456789012345678\"\n[targets.x]\nprovider = \"custom\"\ntoken_file = \"token\"\nurl = \"https://a.example/\"\nmethod = \"get\"\nheaders = { A = \"{token}\" }\nbody = \"{servers}\"\n",
                "targets.x.body: a GET request carries no body", 9
            ),
            ("[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_file = \"\"\n", "targets.topgg.token_file: must not be empty", 4),
            ("[daemon]\n", "bot: missing required table", nil),
            ("[bot\nid = 1\n", "botstatsd.toml:1:5: TOML syntax error: the table header is missing its closing ']'", nil),
        ] as [(String, String, Int?)])
    func badConfigurationsNameTheKeyAndLine(text: String, message: String, line: Int?) throws {
        let description = try errors(text)
        #expect(description.contains(message), "\(description)")
        if let line {
            #expect(description.contains("botstatsd.toml:\(line): "), "\(description)")
        }
    }

    @Test func everyErrorIsReportedAtOnce() throws {
        let description = try errors(
            """
            [bot]
            id = "x"
            repost_interval = "never"

            [targets.topgg]
            token_file = "missing"
            """)
        #expect(description.split(separator: "\n").count == 3, "\(description)")
    }

    @Test func aTokenPastedIntoTheWrongKeyIsNotEchoed() throws {
        let description = try errors(
            "[bot]\nid = \"tok-SECRET-pasted\"\n[targets.x]\nprovider = \"tok-SECRET-pasted2\"\ntoken_file = \"token\"\n")
        #expect(description.contains("bot.id"))
        #expect(description.contains("targets.x.provider"))
        #expect(!description.contains("SECRET"), "\(description)")
    }

    @Test func tokensNeverAppearInErrorsOrWarnings() throws {
        let description = try errors(
            """
            [bot]
            id = "123456789012345678"
            [targets.topgg]
            token = "tok-SECRET-inline"
            base_url = "nope tok-SECRET-inline"
            """)
        #expect(!description.contains("SECRET-inline") || description.contains("base_url"))
        let loaded = try load(
            """
            [bot]
            id = "123456789012345678"
            [targets.topgg]
            token = "tok-SECRET-inline"
            """, mode: 0o644)
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings[0].contains("botstatsd.toml:4: targets.topgg.token: inline token in a file with mode 0644;"), "\(loaded.warnings)")
        #expect(!loaded.warnings[0].contains("SECRET"))
        #expect(try load("[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken = \"tok-SECRET-inline\"\n", mode: 0o640).warnings.isEmpty)
    }

    @Test func credentialsComeFromTheCredentialsDirectoryUnderEitherName() throws {
        let credentials = dir.appendingPathComponent("creds")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        try "from-credential".write(to: credentials.appendingPathComponent("token_topgg"), atomically: true, encoding: .utf8)
        let loaded = try load(
            "[bot]\nid = \"123456789012345678\"\n[targets.topgg]\ntoken_credential = \"topgg\"\n",
            environment: ConfigurationEnvironment(credentialsDirectory: credentials.path))
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "from-credential")
    }

    @Test func dropInsAddBotsNamedAfterTheirFiles() throws {
        let dropIns = dir.appendingPathComponent("bots.d")
        try FileManager.default.createDirectory(at: dropIns, withIntermediateDirectories: true)
        for name in ["b", "a"] {
            try "[bot]\nid = \"12345678901234567\(name == "a" ? 1 : 2)\"\n[targets.topgg]\ntoken_file = \"../token\"\n"
                .write(to: dropIns.appendingPathComponent("\(name).toml"), atomically: true, encoding: .utf8)
        }
        let loaded = try load("[daemon]\nlog_level = \"debug\"\n")
        #expect(loaded.configuration.bots.map(\.name) == ["a", "b"])
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "tok-SECRET-abc123")
        try "[retry]\nmax_attempts = 2\n[bot]\nid = \"123456789012345673\"\n".write(
            to: dropIns.appendingPathComponent("c.toml"), atomically: true, encoding: .utf8)
        let description = try errors("[daemon]\n")
        #expect(description.contains("c.toml"))
        #expect(description.contains("retry: unknown key"))
    }
}

extension LoaderValidationTests {
    @Test func bracketedIPv6MetricsAddressesAreAccepted() throws {
        let loaded = try load("[daemon]\nmetrics_listen = \"[::1]:9470\"\n[bot]\nid = \"123456789012345678\"\n")
        #expect(loaded.configuration.daemon.metricsListen == "[::1]:9470")
    }

    @Test func errorsAreListedByLineWhateverOrderTheyWereFoundIn() throws {
        // [daemon] is read before [bot], but comes after it in the file.
        let description = try errors("[bot]\nid = \"x\"\n[daemon]\nlog_level = \"loud\"\n")
        let lines = description.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains("botstatsd.toml:2: bot.id") == true, "\(description)")
        #expect(lines.last?.contains("botstatsd.toml:4: daemon.log_level") == true, "\(description)")
    }

    @Test func twoBotsWithOneIdAreRefused() throws {
        let dropIns = dir.appendingPathComponent("bots.d")
        try FileManager.default.createDirectory(at: dropIns, withIntermediateDirectories: true)
        for name in ["a", "b"] {
            try "[bot]\nid = \"123456789012345671\"\n".write(
                to: dropIns.appendingPathComponent("\(name).toml"), atomically: true, encoding: .utf8)
        }
        let description = try errors("[daemon]\n")
        #expect(description.contains("b.toml: bot.id: the same id as bot 'a' in "), "\(description)")
        #expect(description.split(separator: "\n").count == 1)
    }

    @Test func aCustomTargetThatNeverSendsItsTokenIsWarnedAbout() throws {
        let custom = "[bot]\nid = \"123456789012345678\"\n[targets.mine]\nprovider = \"custom\"\ntoken_file = \"token\"\nurl = \"https://a.example/\"\n"
        let loaded = try load(custom + "headers = { X-Servers = \"{servers}\" }\n")
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings.first?.contains("botstatsd.toml:3: targets.mine: no header uses {token}") == true, "\(loaded.warnings)")
        #expect(try load(custom + "headers = { Authorization = \"Bot {token}\" }\n").warnings.isEmpty)
    }

    @Test func shardTimeoutAndDropGuardAreRead() throws {
        let loaded = try load(
            "[bot]\nid = \"123456789012345678\"\nshard_timeout = \"10m\"\ndrop_guard = 0.25\nrepost_interval = \"5m\"\n")
        #expect(loaded.configuration.bots[0].shardTimeout == .seconds(600))
        #expect(loaded.configuration.bots[0].dropGuard == 0.25)
    }
}
