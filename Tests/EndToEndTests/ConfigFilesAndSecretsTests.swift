import Foundation
import Glibc
import Testing

/// Configuration files and secrets against the real binary: files that are not files never hang
/// it, tokens are validated when loaded and never echoed, `token_credential` works for the README's
/// `--check-config` outside systemd, and mistakes are reported in words a person can act on.
@Suite(.serialized) struct ConfigFilesAndSecretsTests {
    static let bot = "[bot]\nid = \"123456789012345678\"\n"
    static let botID = "123456789012345678"

    /// A daemon's configuration: the bot with a top.gg target whose token file holds `token`.
    static func config(token: String, baseURL: String = "http://127.0.0.1:9/x") -> TestConfiguration {
        TestConfiguration(bot: .init(id: botID, targets: [.init("topgg", token: token, baseURL: baseURL)]))
    }

    /// The bot without targets, then `toml` as it is: for the mistakes TestConfiguration cannot make.
    static func config(appending toml: String, repostInterval: String? = nil) -> TestConfiguration {
        var config = TestConfiguration(bot: .init(id: botID, repostInterval: repostInterval))
        config.extraTOML = toml
        return config
    }

    /// A fresh directory holding `botstatsd.toml` with `text`; the caller removes it.
    static func configDirectory(_ text: String) throws -> (dir: URL, file: URL) {
        let dir = try TemporaryDirectory.make(prefix: "bsd-sec-")
        let file = dir.appendingPathComponent("botstatsd.toml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return (dir, file)
    }

    /// `botstatsd --check-config --config file` outside systemd, given 5 s: a hang is a failure.
    static func checkConfig(_ file: URL) async throws -> ProcessResult {
        try await ProcessRunner.run(
            Binaries.daemon, ["--check-config", "--config", file.path],
            removing: DaemonHarness.isolatedEnvironmentKeys, timeout: .seconds(5))
    }

    static func writeBytes(_ bytes: [UInt8], to url: URL, mode: Int = 0o600) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    // MARK: - Files that are not files (issue 11 #7, issue 19)

    @Test(arguments: ["token_file", "bots.d/x.toml"])
    func aFIFOFailsCheckConfigPromptlyNamingWhatItStandsFor(place: String) async throws {
        let (dir, file) = try Self.configDirectory(Self.bot + "[targets.topgg]\ntoken_file = \"pipe\"\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = place == "token_file" ? dir.appendingPathComponent("pipe") : dir.appendingPathComponent("bots.d/x.toml")
        if place != "token_file" {
            try Self.writeBytes(Array("tgg-token-fifo-test\n".utf8), to: dir.appendingPathComponent("pipe"))
        }
        try FileManager.default.createDirectory(at: fifo.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let started = ContinuousClock.now
        let check = try await Self.checkConfig(file)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(check.exitCode == 78, "\(check)")
        if place == "token_file" {
            #expect(check.stderr.contains("botstatsd.toml:4: targets.topgg.token_file: is a FIFO (named pipe), not a regular file"), "\(check)")
        } else {
            #expect(check.stderr.contains("bots.d/x.toml: cannot read the configuration: is a FIFO (named pipe)"), "\(check)")
        }
    }

    @Test func aFIFOAddedBeforeAReloadDoesNotWedgeTheDaemon() async throws {
        let daemon = try await DaemonHarness.start(configTOML: Self.config(token: "tgg-token-reload").render)
        defer { daemon.cleanup() }
        let dropIns = daemon.directory.appendingPathComponent("bots.d")
        try FileManager.default.createDirectory(at: dropIns, withIntermediateDirectories: true)
        #expect(mkfifo(dropIns.appendingPathComponent("x.toml").path, 0o600) == 0)
        let reload = try await daemon.ctl(["reload"], timeout: .seconds(5))
        #expect(reload.exitCode == 1, "\(reload)")
        #expect(reload.stderr.contains("x.toml: cannot read the configuration: is a FIFO"), "\(reload)")
        let status = try await daemon.ctl(["status"], timeout: .seconds(5))
        #expect(status.exitCode == 0, "\(status)")
        #expect(try await daemon.stop() == 0)
    }

    @Test func aDirectoryNamedLikeADropInIsReportedAsADirectory() async throws {
        let (dir, file) = try Self.configDirectory(Self.bot)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("bots.d/x.toml"), withIntermediateDirectories: true)
        let check = try await Self.checkConfig(file)
        #expect(check.exitCode == 78)
        #expect(check.stderr.contains("bots.d/x.toml: cannot read the configuration: is a directory, not a regular file"), "\(check)")
        #expect(!check.stderr.contains("UTF-8"))
    }

    // MARK: - Tokens (issue 11 #1, #3, #4)

    @Test func aTokenFileWrittenOnWindowsWithACommentIsRejectedAtLoad() async throws {
        let (dir, file) = try Self.configDirectory(Self.bot + "[targets.topgg]\ntoken_file = \"tokens/topgg\"\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeBytes(Array("tgg-SECRET-windows-file\r\n# note\r\n".utf8), to: dir.appendingPathComponent("tokens/topgg"))
        let check = try await Self.checkConfig(file)
        #expect(check.exitCode == 78, "\(check)")
        #expect(check.stderr.contains("botstatsd.toml:4: targets.topgg.token_file: the token spans several lines"), "\(check)")
        #expect(!(check.stdout + check.stderr).contains("SECRET"), "\(check)")
        let start = try await ProcessRunner.run(
            Binaries.daemon, ["--config", file.path], removing: DaemonHarness.isolatedEnvironmentKeys, timeout: .seconds(5))
        #expect(start.exitCode == 78, "\(start)")
        #expect(!(start.stdout + start.stderr).contains("SECRET"))
    }

    @Test(arguments: [
        "token_file = \"tgg-SECRET-pasted-where-a-path-belongs\"",
        "token_credential = \"tgg-SECRET-pasted-as-a-credential\"",
        "token = \"tgg-SECRET-inline\\u0000truncated\"",
    ])
    func aTokenInTheWrongPlaceNeverReachesTheOutput(line: String) async throws {
        let (dir, file) = try Self.configDirectory(Self.bot + "[targets.topgg]\n\(line)\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let check = try await Self.checkConfig(file)
        #expect(check.exitCode == 78, "\(check)")
        #expect(check.stderr.contains("botstatsd.toml:4: targets.topgg.token"), "\(check)")
        #expect(!(check.stdout + check.stderr).contains("SECRET"), "\(check)")
    }

    @Test func aTokenPastedAsAPathIsNotEchoedByAFailedReload() async throws {
        let daemon = try await DaemonHarness.start(configTOML: Self.config(token: "tgg-token-good").render)
        defer { daemon.cleanup() }
        try daemon.writeConfig(Self.config(appending: "[targets.topgg]\ntoken_file = \"tgg-SECRET-pasted-on-reload\"\n").render)
        let reload = try await daemon.ctl(["reload"], timeout: .seconds(5))
        #expect(reload.exitCode == 1, "\(reload)")
        #expect(reload.stderr.contains("targets.topgg.token_file: no such file"), "\(reload)")
        let status = try await daemon.ctl(["status", "--json"])
        #expect(status.stdout.contains("last_reload_error"), "\(status)")
        #expect(!(reload.stdout + reload.stderr + status.stdout + daemon.log()).contains("SECRET"))
        #expect(try await daemon.stop() == 0)
    }

    @Test func aByteOrderMarkIsNotSentAsPartOfTheToken() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(token: "\u{FEFF}tgg-token-bom\r\n", baseURL: "\(list.baseURL)/topgg").render)
            defer { daemon.cleanup() }
            let set = try await daemon.ctl(["set", "--servers", "42"])
            #expect(set.exitCode == 0, "\(set)")
            let posts = try await list.waitForRequests(path: "/topgg/v1/projects/@me/metrics", count: 1, timeout: .seconds(10))
            #expect(posts[0].header("Authorization") == "Bearer tgg-token-bom")
            #expect(try await daemon.stop() == 0)
        }
    }

    // MARK: - token_credential outside systemd (issue 10 #7)

    @Test func checkConfigResolvesCredentialsFromTokensBesideTheConfiguration() async throws {
        let (dir, file) = try Self.configDirectory(
            Self.bot + "[targets.topgg]\ntoken_credential = \"topgg\"\n[targets.dbl]\nprovider = \"discordbotlist\"\ntoken_credential = \"token_dbl\"\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.writeBytes(Array("tgg-token-credential\n".utf8), to: dir.appendingPathComponent("tokens/topgg"))
        try Self.writeBytes(Array("dbl-token-credential\n".utf8), to: dir.appendingPathComponent("tokens/dbl"))
        let good = try await Self.checkConfig(file)
        #expect(good.exitCode == 0, "\(good)")
        #expect(good.stdout == "OK\n")

        try FileManager.default.removeItem(at: dir.appendingPathComponent("tokens/dbl"))
        let missing = try await Self.checkConfig(file)
        #expect(missing.exitCode == 78, "\(missing)")
        #expect(missing.stderr.contains("botstatsd.toml:7: targets.dbl.token_credential: CREDENTIALS_DIRECTORY is not set"), "\(missing)")
        #expect(missing.stderr.contains("\(dir.path)/tokens, the directory the unit loads credentials from"), "\(missing)")
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }

    // MARK: - Messages (issue 12 #6)

    @Test func mistakesAreReportedWithLinesAndSuggestions() async throws {
        let (dir, file) = try Self.configDirectory(
            "[bot]\nid = 123456789012345678\nrepost_intervall = \"1h\"\n\n[target.topgg]\ntoken_file = \"t\"\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let check = try await Self.checkConfig(file)
        #expect(check.exitCode == 78)
        let lines = check.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasSuffix("botstatsd.toml:2: bot.id: must be a string: quote the id, id = \"123456789012345678\"") }, "\(check)")
        #expect(lines.contains { $0.hasSuffix("botstatsd.toml:3: bot.repost_intervall: unknown key; did you mean repost_interval?") }, "\(check)")
        #expect(lines.contains { $0.hasSuffix("botstatsd.toml:5: target: unknown key; did you mean targets?") }, "\(check)")

        try "[bot]\nid = \"123456789012345678\"\nrepost_interval = 1h\n".write(to: file, atomically: true, encoding: .utf8)
        let syntax = try await Self.checkConfig(file)
        #expect(syntax.exitCode == 78)
        #expect(syntax.stderr == "\(file.path):3:19: TOML syntax error: not a valid number (text, such as a duration, goes in quotes: \"…\")\n", "\(syntax)")
    }

    // MARK: - Memory (issue 15)

    /// The daemon's resident set in KiB, from /proc.
    static func residentKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ").dropFirst().first ?? ""))
    }

    /// Sends `count` reloads over one control connection; returns how many were accepted.
    static func reload(_ daemon: DaemonHarness, count: Int) throws -> Int {
        let client = try RawControlClient.connect(path: daemon.controlSocket)
        defer { client.close() }
        var accepted = 0
        for _ in 0..<count where try client.request(#"{"v":1,"cmd":"reload"}"#)["ok"] as? Bool == true {
            accepted += 1
        }
        return accepted
    }

    /// Every reload used to leak the parsed document (TOMLKit never freed toml++'s tables, keys or
    /// strings): 2,000 reloads of one bot grew the daemon by about 9 MiB, 2,000 rejected ones by 6.
    @Test func twoThousandReloadsDoNotGrowTheDaemon() async throws {
        var config = Self.config(token: "tgg-token-memory")
        config.logLevel = "error"
        config.bot?.targets.append(.init("dbl", provider: "discordbotlist", token: "tgg-token-memory", baseURL: "http://127.0.0.1:9/y"))
        let daemon = try await DaemonHarness.start(configTOML: config.render)
        defer { daemon.cleanup() }
        // Warm-up: allocator arenas and caches settle before the measurement starts.
        #expect(try Self.reload(daemon, count: 500) == 500)
        let before = try Self.residentKiB(daemon.pid)
        #expect(try Self.reload(daemon, count: 2000) == 2000)
        let afterAccepted = try Self.residentKiB(daemon.pid)
        #expect(afterAccepted - before < 1024, "2000 reloads grew the daemon from \(before) KiB to \(afterAccepted) KiB")

        try daemon.writeConfig(
            Self.config(appending: "[targets.topgg]\ntoken_file = \"missing\"\n", repostInterval: "never").render)
        #expect(try Self.reload(daemon, count: 200) == 0)
        let beforeRejected = try Self.residentKiB(daemon.pid)
        #expect(try Self.reload(daemon, count: 2000) == 0)
        let afterRejected = try Self.residentKiB(daemon.pid)
        #expect(
            afterRejected - beforeRejected < 1024,
            "2000 rejected reloads grew the daemon from \(beforeRejected) KiB to \(afterRejected) KiB")
        #expect(try await daemon.stop() == 0)
    }
}
