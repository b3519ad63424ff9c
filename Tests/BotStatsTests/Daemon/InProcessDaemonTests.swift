@testable import BotStats
@testable import BotStatsProtocol
import FoundationEssentials
import Glibc
import Logging
import Testing

/// Whole daemons built in this process with `DaemonApplication.build(clock:transport:)`: a manual
/// clock, a scripted transport in place of the lists and Discord, a real control socket in a
/// temporary directory. Reload and the Discord fetch are driven here without a process or a sleep.
@Suite struct InProcessDaemonTests {
    @Test func aReloadAddsAListAndABadOneKeepsTheOldConfiguration() async throws {
        try await withDaemon(config: Self.config(lists: ["alpha"])) { daemon in
            _ = try await daemon.app.engine.set(bot: nil, update: CountsUpdate(servers: 1520, users: 88000))
            try await eventually("alpha got the counts") { !daemon.transport.requests(to: Self.url("alpha")).isEmpty }

            try daemon.rewrite(Self.config(lists: ["alpha", "beta"]))
            let result = try await daemon.app.reloader.reload()
            #expect(result.targets == 2)
            // The cached counts go to the list the reload added, without a new `set`.
            try await eventually("beta got the cached counts") { !daemon.transport.requests(to: Self.url("beta")).isEmpty }
            #expect(Self.body(daemon.transport.requests(to: Self.url("beta"))[0]).contains("1520"))

            try daemon.rewrite(Self.config(lists: ["alpha", "beta"]) + "\n[targets.gamma]\nprovider = \"nosuchlist\"\n")
            await #expect(throws: ControlError.self) { try await daemon.app.reloader.reload() }
            let status = await daemon.app.engine.status()
            #expect(status.bots[0].targets.map(\.name) == ["alpha", "beta"])
            #expect(status.lastReloadError?.contains("targets.gamma") == true, "\(status.lastReloadError ?? "no reload error")")
            #expect(daemon.notifications.last { $0.contains("STATUS=") }?.contains("reload failed") == true, "\(daemon.notifications)")
        }
    }

    @Test func countsFromDiscordArePostedAndFetchedAgainAtTheRepost() async throws {
        let discord = Self.discordURL
        let config = Self.discordConfig(extra: #"repost_interval = "1h""#)
        try await withDaemon(
            config: config,
            script: { transport in
                transport.script(
                    url: discord,
                    [
                        TransportResponse(status: 200, headers: [], body: Array(#"{"approximate_guild_count": 4242}"#.utf8)),
                        TransportResponse(status: 200, headers: [], body: Array(#"{"approximate_guild_count": 4300}"#.utf8)),
                    ])
            }
        ) { daemon in
            try await eventually("alpha got Discord's count") {
                daemon.transport.requests(to: Self.url("alpha")).contains { Self.body($0).contains("4242") }
            }
            let fetch = daemon.transport.requests(to: discord)[0]
            #expect(fetch.method == "GET")
            #expect(fetch.headers.contains { $0.0 == "Authorization" && $0.1 == "Bot discord-bot-token-XYZ" })
            let status = await daemon.app.engine.status()
            #expect(status.bots[0].counts.servers == 4242)
            #expect(status.bots[0].source?.kind == "discord")
            #expect(status.bots[0].source?.lastError == nil)

            // An hour later the repost asks Discord again and posts what it says now.
            try await eventually("the repost is waiting on the clock") { daemon.clock.sleeperCount > 0 }
            daemon.clock.advance(by: .seconds(3601))
            try await eventually("alpha got the new count") {
                daemon.transport.requests(to: Self.url("alpha")).contains { Self.body($0).contains("4300") }
            }
            #expect(daemon.transport.requests(to: discord).count == 2)
        }
    }

    @Test func aFailedDiscordFetchKeepsTheLastCountsAndSaysWhy() async throws {
        let discord = Self.discordURL
        let config = Self.discordConfig()
        try await withDaemon(
            config: config,
            script: { transport in
                transport.script(
                    url: discord,
                    [
                        TransportResponse(status: 401, headers: [], body: Array(#"{"message": "401: Unauthorized discord-bot-token-XYZ"}"#.utf8))
                    ])
            }
        ) { daemon in
            try await eventually("the fetch failed and status says so") {
                await daemon.app.engine.status().bots[0].source?.lastError != nil
            }
            let status = await daemon.app.engine.status()
            let error = try #require(status.bots[0].source?.lastError)
            #expect(error.contains("401"))
            #expect(!error.contains("discord-bot-token-XYZ"))
            #expect(status.bots[0].counts.servers == nil)
            #expect(daemon.transport.requests(to: Self.url("alpha")).isEmpty)
        }
    }

    /// A Discord fetch a stop cuts off (sent, or still waiting for a request slot) is no answer
    /// from Discord: it is not recorded as a failed fetch and logs nothing.
    @Test func aDiscordFetchCutOffByAStopIsNotRecorded() async throws {
        let discord = Self.discordURL
        let config = Self.discordConfig()
        var stopped: Daemon?
        try await withDaemon(config: config, script: { $0.hangUntilCancelled(url: discord) }) { daemon in
            try await eventually("the fetch is out") { !daemon.transport.requests(to: discord).isEmpty }
            stopped = daemon
        }
        let status = try #require(await stopped?.app.engine.status())
        #expect(status.bots[0].source?.lastError == nil)
        #expect(status.bots[0].source?.lastFetchAt == nil)
    }

    /// A `set` that arrives while the persistence loop is between deciding there is nothing to
    /// write and going to sleep must still wake it: one lost wake-up left a `set` unanswered
    /// until the next `set` came (found by `make bench`: 1,000 sets in a row on one connection).
    @Test func setsOneAfterAnotherAreEachAnswered() async throws {
        try await withDaemon(config: Self.config(lists: ["alpha"])) { daemon in
            for n in 1...150 {
                _ = try await withDeadline("the answer to set \(n)") {
                    try await daemon.app.engine.set(bot: nil, update: CountsUpdate(servers: n))
                }
            }
        }
    }

    // MARK: - Support

    static func url(_ list: String) -> String { "http://127.0.0.1:9/\(list)/bots/123456789012345678/stats" }

    static func body(_ request: OutgoingRequest) -> String { request.body ?? "" }

    /// Where the Discord-source bot asks for its counts.
    static let discordURL = "http://127.0.0.1:9/discord/applications/@me"

    /// A bot whose counts come from Discord (at ``discordURL``), posting to one list, `alpha`;
    /// `extra` adds lines to its `[bot]` table.
    static func discordConfig(extra: String = "") -> String {
        config(
            lists: ["alpha"],
            bot: """
                source = "discord"
                discord_token = "discord-bot-token-XYZ"
                discord_base_url = "http://127.0.0.1:9/discord"
                \(extra)
                """)
    }

    static func config(lists: [String], bot: String = "") -> String {
        var text = "[bot]\nid = \"123456789012345678\"\n\(bot)\n"
        for list in lists {
            text += "\n[targets.\(list)]\nprovider = \"discordbotlist\"\ntoken = \"list-token-\(list)\"\nbase_url = \"http://127.0.0.1:9/\(list)\"\n"
        }
        return text
    }

    /// A daemon under test: its application, clock, transport and what it told systemd.
    struct Daemon {
        let app: DaemonApplication<ManualClock>
        let clock: ManualClock
        let transport: ScriptedTransport
        let recorder: RecordingNotifier
        let configPath: String

        var notifications: [String] { recorder.messages }

        func rewrite(_ text: String) throws {
            try writeFile(configPath, text)
        }
    }

    /// Builds and runs a daemon on `config` in a temporary directory, runs `body`, stops it, and
    /// checks that it stopped cleanly.
    func withDaemon(
        config: String, script: (ScriptedTransport) -> Void = { _ in }, _ body: (Daemon) async throws -> Void
    ) async throws {
        var template = Array("/tmp/bsd-inproc-XXXXXX".utf8CString)
        let directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configPath = directory + "/botstatsd.toml"
        try writeFile(configPath, "[daemon]\ncontrol_socket = \"\(directory)/c.sock\"\nstate_directory = \"\(directory)/state\"\n" + config)
        let loader = ConfigurationLoader(environment: ConfigurationEnvironment())
        let transport = ScriptedTransport()
        script(transport)
        let clock = ManualClock()
        let recorder = RecordingNotifier()
        let app = try await DaemonApplication.build(
            configuration: try loader.load(path: configPath).configuration,
            options: DaemonOptions(pid: 4242, loader: loader, handlesSignals: false),
            notifier: recorder, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            clock: clock, transport: transport)
        let running = Task { try await app.run() }
        let daemon = Daemon(app: app, clock: clock, transport: transport, recorder: recorder, configPath: configPath)
        do {
            try await eventually("READY=1") { recorder.messages.contains { $0.hasPrefix("READY=1") } }
            try await body(daemon)
        } catch {
            await app.stop()
            _ = try? await running.value
            throw error
        }
        await app.stop()
        try await running.value
        #expect(recorder.messages.contains("STOPPING=1"))
    }
}

private func writeFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw WriteError(path: path, errno: errno) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw WriteError(path: path, errno: errno) }
}

private struct WriteError: Error {
    let path: String
    let errno: Int32
}
