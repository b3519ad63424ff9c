import Foundation
import Testing

/// The clients in `examples/` against the real daemon: what an example hands over is exactly
/// what the lists receive, and its exit codes say what the docs say they do.
@Suite(.serialized) struct ExamplesTests {
    static let botID = "123456789012345678"
    static let dblPath = "/dbl/bots/\(botID)/stats"
    static let topggPath = "/topgg/v1/projects/@me/metrics"

    /// The repository root: this file is `Tests/EndToEndTests/ExamplesTests.swift`.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The absolute path of `examples/<path>`.
    static func example(_ path: String) -> String {
        root.appendingPathComponent("examples").appendingPathComponent(path).path
    }

    /// discordbotlist (takes servers and users) and top.gg (servers and shards), both on `list`, sharing one
    /// token file.
    static func config(_ list: FakeBotList) -> TestConfiguration {
        .dblAndTopgg(botID: botID, on: list, token: "SECRET-examples")
    }

    /// Runs `examples/python/botstatsd_client.py` with `arguments`.
    static func pythonClient(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(
            command: "python3", [example("python/botstatsd_client.py")] + arguments,
            environment: ["PYTHONDONTWRITEBYTECODE": "1"], removing: ["BOTSTATSD_SOCKET"])
    }

    /// Waits until the last request `list` received on `path` has `body`, and returns every
    /// request on that path; the newest counts win, so earlier posts may carry older ones.
    static func waitForBody(_ body: String, on path: String, of list: FakeBotList) async throws -> [RecordedRequest] {
        try await waitUntil("\(body) on \(path)", timeout: .seconds(10), describe: { "\(list.requests(path: path))" }) {
            list.requests(path: path).last?.body == body
        }
        return list.requests(path: path)
    }

    @Test func thePythonClientHandsOverTheCountsTheListsReceive() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let run = try await Self.pythonClient(
                ["--socket", daemon.controlSocket, "--servers", "1520", "--users", "88000"])
            #expect(run.exitCode == 0, "\(run)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
            #expect(result["outcome"] as? String == "accepted")
            #expect(result["targets"] as? [String] == ["dbl", "topgg"])

            let dbl = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(dbl.map(\.body) == [#"{"guilds":1520,"users":88000}"#])
            let topgg = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            #expect(topgg.map(\.body) == [#"{"server_count":1520}"#])
        }
    }

    @Test func pythonPerShardReportsArePostedAsTheirExactSum() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let shares = [(servers: 507, users: 29_001), (servers: 511, users: 29_302), (servers: 502, users: 29_697)]
            for (shard, share) in shares.enumerated() {
                let run = try await Self.pythonClient([
                    "--socket", daemon.controlSocket, "--servers", "\(share.servers)", "--users", "\(share.users)",
                    "--shard-id", "\(shard)", "--shard-count", "\(shares.count)",
                ])
                #expect(run.exitCode == 0, "\(run)")
                let outcome = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["outcome"]
                #expect(outcome as? String == (shard == shares.count - 1 ? "accepted" : "waiting_for_shards"), "\(run)")
            }
            // Nothing could be posted before the last shard reported: the bot had no counts.
            let dbl = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(dbl.map(\.body) == [#"{"guilds":1520,"users":88000}"#])
            let topgg = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            #expect(topgg.map(\.body) == [#"{"server_count":1520,"shard_count":3}"#])
            let status = try await daemon.waitForStatus("every shard reported") { status in
                let bot = (status["bots"] as? [[String: Any]])?.first
                return (bot?["shards"] as? [String: Any])?["reported"] as? Int == 3
            }
            let shards = try #require(((status["bots"] as? [[String: Any]])?.first)?["shards"] as? [String: Any])
            #expect(shards["stale_count"] as? Int == 0)
            #expect(shards["missing"] as? [Int] == [])
        }
    }

    @Test func thePythonClientExitsWithTheDaemonsErrorOrThreeWhenItIsNotRunning() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let unknown = try await Self.pythonClient(["--socket", daemon.controlSocket, "--servers", "1", "--bot", "nosuch"])
            #expect(unknown.exitCode == 1, "\(unknown)")
            #expect(unknown.stderr.contains("unknown_bot: no bot named 'nosuch'"), "\(unknown)")
            let negative = try await Self.pythonClient(["--socket", daemon.controlSocket, "--servers", "-5"])
            #expect(negative.exitCode == 1, "\(negative)")
            #expect(negative.stderr.contains("bad_request: servers: must not be negative"), "\(negative)")
            let missing = try await Self.pythonClient(["--socket", daemon.controlSocket + ".gone", "--servers", "1"])
            #expect(missing.exitCode == 3, "\(missing)")
            #expect(missing.stderr.contains("botstatsd is not running"), "\(missing)")
            #expect(list.requests().isEmpty, "\(list.requests())")
        }
    }

    @Test func cronShHandsOverCountsFromAFileOrACommand() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let counts = daemon.directory.appendingPathComponent("counts")
            let control = try Binaries.control.path
            func cron(_ environment: [String: String]) async throws -> ProcessResult {
                try await ProcessRunner.run(
                    command: "sh", [Self.example("shell/cron.sh")],
                    environment: ["BOTSTATSCTL": control, "BOTSTATSD_SOCKET": daemon.controlSocket].merging(environment) { $1 },
                    removing: ["COUNTS_FILE", "COUNTS_COMMAND", "BOT"])
            }

            try Data("1520 88000\n".utf8).write(to: counts)
            let fromFile = try await cron(["COUNTS_FILE": counts.path])
            #expect(fromFile.exitCode == 0, "\(fromFile)")
            #expect(fromFile.stderr.isEmpty, "\(fromFile)")
            _ = try await Self.waitForBody(#"{"guilds":1520,"users":88000}"#, on: Self.dblPath, of: list)
            _ = try await Self.waitForBody(#"{"server_count":1520}"#, on: Self.topggPath, of: list)

            let fromCommand = try await cron(["COUNTS_COMMAND": "echo 1530 88100 2"])
            #expect(fromCommand.exitCode == 0, "\(fromCommand)")
            _ = try await Self.waitForBody(#"{"guilds":1530,"users":88100}"#, on: Self.dblPath, of: list)
            _ = try await Self.waitForBody(#"{"server_count":1530,"shard_count":2}"#, on: Self.topggPath, of: list)

            // The drop guard holds a collapse back; cron.sh still exits 0 but says so on stderr.
            let dropped = try await cron(["COUNTS_COMMAND": "echo 10"])
            #expect(dropped.exitCode == 0, "\(dropped)")
            #expect(dropped.stderr.contains("counts held back"), "\(dropped)")

            try Data("lots of servers\n".utf8).write(to: counts)
            let garbage = try await cron(["COUNTS_FILE": counts.path])
            #expect(garbage.exitCode == 2, "\(garbage)")
            let notRunning = try await cron(["COUNTS_FILE": counts.path, "BOTSTATSD_SOCKET": daemon.controlSocket + ".gone"])
            #expect(notRunning.exitCode == 2, "bad counts are found before the socket is tried: \(notRunning)")
            try Data("1540\n".utf8).write(to: counts)
            let stopped = try await cron(["COUNTS_FILE": counts.path, "BOTSTATSD_SOCKET": daemon.controlSocket + ".gone"])
            #expect(stopped.exitCode == 3, "\(stopped)")
            #expect(stopped.stderr.contains("not running"), "\(stopped)")

            // Every request either list received carries counts cron.sh handed over, never the held ones.
            let bodies = list.requests().map(\.body)
            #expect(!bodies.contains { $0.contains(":10,") || $0.contains(":10}") }, "\(bodies)")
        }
    }

    @Test func theDiscordPyExampleCompiles() async throws {
        let cache = try TemporaryDirectory.make(prefix: "bsd-pyc-")
        defer { try? FileManager.default.removeItem(at: cache) }
        for file in ["python/discordpy_autoshard.py", "python/botstatsd_client.py"] {
            // The byte code goes to a temporary directory, not beside the example.
            let run = try await ProcessRunner.run(
                command: "python3", ["-m", "py_compile", Self.example(file)],
                environment: ["PYTHONPYCACHEPREFIX": cache.path])
            #expect(run.exitCode == 0, "\(file): \(run)")
        }
    }

    @Test(.enabled(if: ProcessRunner.which("node") != nil, "node is not installed; the JavaScript examples are not checked"))
    func everyJavaScriptExampleParsesAndTheNodeClientHandsOverCounts() async throws {
        let directory = Self.root.appendingPathComponent("examples/node")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".js") }.sorted()
        #expect(files == ["botstatsd-client.js", "hybrid-sharding-cluster.js", "sharding-manager.js"])
        for file in files {
            let run = try await ProcessRunner.run(command: "node", ["--check", directory.appendingPathComponent(file).path])
            #expect(run.exitCode == 0, "\(file): \(run)")
        }

        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let client = directory.appendingPathComponent("botstatsd-client.js").path
            let run = try await ProcessRunner.run(
                command: "node", [client, "--socket", daemon.controlSocket, "--servers", "1520", "--users", "88000"],
                removing: ["BOTSTATSD_SOCKET"])
            #expect(run.exitCode == 0, "\(run)")
            #expect(run.stdout.contains(#""outcome":"accepted""#), "\(run)")
            let dbl = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(dbl.map(\.body) == [#"{"guilds":1520,"users":88000}"#])

            let unknown = try await ProcessRunner.run(
                command: "node", [client, "--socket", daemon.controlSocket, "--servers", "1", "--bot", "nosuch"])
            #expect(unknown.exitCode == 1, "\(unknown)")
            #expect(unknown.stderr.contains("unknown_bot"), "\(unknown)")
            let missing = try await ProcessRunner.run(
                command: "node", [client, "--socket", daemon.controlSocket + ".gone", "--servers", "1"])
            #expect(missing.exitCode == 3, "\(missing)")
        }
    }
}
