import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The control plane end to end: every botstatsctl command, metrics, checks, access control and
/// a control socket that bad clients cannot hurt.
@Suite(.serialized) struct ControlPlaneTests {
    static let topggPath = "/topgg/v1/projects/@me/metrics"
    static let dblPath = "/dbl/bots/123456789012345678/stats"

    static func config(_ list: FakeBotList, repost: String = "1h", metricsListen: String? = nil) -> TestConfiguration {
        var config = TestConfiguration(
            bot: .init(
                id: "123456789012345678", repostInterval: repost,
                targets: [
                    .init("topgg", token: "tgg-SECRET-cp-1", baseURL: "\(list.baseURL)/topgg"),
                    .init("dbl", provider: "discordbotlist", token: "dbl-SECRET-cp-2", baseURL: "\(list.baseURL)/dbl"),
                ]),
            retry: .init(maxAttempts: 3, baseDelay: "100ms", maxDelay: "1m"))
        config.metricsListen = metricsListen
        return config
    }

    static func target(_ status: [String: Any], _ name: String) throws -> [String: Any] {
        try CoreLoopTests.target(status, name)
    }

    @Test func everyCommandAnswersWithItsOutputAndExitCode() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let before = try await daemon.ctl(["check"])
            #expect(before.exitCode == 1, "\(before)")
            #expect(before.stdout.hasPrefix("BOTSTATSD WARNING - main/topgg has no counts yet"))

            let set = try await daemon.ctl(["--json", "set", "--servers", "1520", "--users", "88000"])
            #expect(set.exitCode == 0)
            #expect(set.stdout.contains(#""servers" : 1520"#))
            _ = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            try await daemon.waitForStatus("both answers recorded") { status in
                try ["topgg", "dbl"].allSatisfy { try Self.target(status, $0)["last_status"] as? Int == 200 }
            }

            let post = try await daemon.ctl(["post", "--target", "dbl"])
            #expect(post.exitCode == 0)
            #expect(post.stdout == "main/dbl: delivered (ok, HTTP 200)\n")
            let postJSON = try await daemon.ctl(["post", "--json"])
            #expect(postJSON.stdout.contains(#""outcome" : "delivered""#))

            let status = try await daemon.ctl(["status"], environment: ["NO_COLOR": "1"])
            #expect(status.exitCode == 0)
            #expect(!status.stdout.contains("\u{1B}["))
            #expect(status.stdout.contains("TARGET"))
            #expect(status.stdout.contains("last posted"))

            let check = try await daemon.ctl(["check"])
            #expect(check.exitCode == 0, "\(check)")
            #expect(check.stdout == "BOTSTATSD OK - 2/2 lists posted on time\n")

            let reload = try await daemon.ctl(["reload"])
            #expect(reload.exitCode == 0)
            #expect(reload.stdout.contains("1 bot(s), 2 target(s)"))

            let metrics = try await daemon.ctl(["metrics"])
            #expect(metrics.exitCode == 0)
            #expect(metrics.stdout.contains(#"botstatsd_bot_servers{bot="main"} 1520"#))

            let unknownTarget = try await daemon.ctl(["post", "--target", "nope"])
            #expect(unknownTarget.exitCode == 1)
            #expect(unknownTarget.stderr.contains("unknown_target"))
            let unknownBot = try await daemon.ctl(["set", "--servers", "1", "--bot", "nope"])
            #expect(unknownBot.exitCode == 1)
            #expect(unknownBot.stderr.contains("unknown_bot"))
            let usage = try await daemon.ctl(["set"])
            #expect(usage.exitCode == 2)
            let badTimeout = try await daemon.ctl(["--timeout", "soon", "status"])
            #expect(badTimeout.exitCode == 2)
        }
    }

    @Test func checkIsCriticalForAnUnauthorizedListAndWarnsWhileRateLimited() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: Self.topggPath, [.status(401)])
            list.script(path: Self.dblPath, [.tooManyRequests(retryAfter: "30")])
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await list.waitForRequests(path: Self.topggPath, count: 1, timeout: .seconds(10))
            _ = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            try await daemon.waitForStatus("both answers recorded") { status in
                try Self.target(status, "topgg")["last_status"] as? Int == 401
                    && Self.target(status, "dbl")["last_status"] as? Int == 429
            }
            let check = try await daemon.ctl(["check"])
            #expect(check.exitCode == 2, "\(check)")
            #expect(check.stdout.hasPrefix("BOTSTATSD CRITICAL - main/topgg unauthorized"))
            #expect(check.stdout.split(separator: "\n").count == 1)
        }
    }

    @Test func metricsCarryTheCountersAfterA429AndA401() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: Self.topggPath, [.status(401)])
            list.script(path: Self.dblPath, [.tooManyRequests(retryAfter: "1")])
            let port = Int.random(in: 20000..<60000)
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(list, metricsListen: "127.0.0.1:\(port)").render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await list.waitForRequests(path: Self.dblPath, count: 2, timeout: .seconds(10))
            try await daemon.waitForStatus("every answer recorded") { status in
                try Self.target(status, "topgg")["last_status"] as? Int == 401
                    && Self.target(status, "dbl")["last_status"] as? Int == 200
            }
            let metrics = try await daemon.ctl(["metrics"])
            let samples = try PrometheusText.parse(metrics.stdout)
            #expect(samples[#"botstatsd_post_failures_total{bot="main",target="dbl",class="429"}"#] == 1)
            #expect(samples[#"botstatsd_post_failures_total{bot="main",target="topgg",class="4xx"}"#] == 1)
            #expect(samples[#"botstatsd_retries_total{bot="main",target="dbl"}"#] == 1)
            #expect(samples[#"botstatsd_posts_total{bot="main",target="dbl"}"#] == 2)
            #expect(samples[#"botstatsd_target_state{bot="main",target="topgg",state="unauthorized"}"#] == 1)
            #expect(samples[#"botstatsd_target_state{bot="main",target="topgg",state="ok"}"#] == 0)
            #expect(samples[#"botstatsd_bot_servers{bot="main"}"#] == 10)
            #expect((samples[#"botstatsd_target_last_success_timestamp_seconds{bot="main",target="dbl"}"#] ?? 0) > 1.7e9)
            #expect(!metrics.stdout.contains("SECRET"))
            // The same exposition over HTTP for Prometheus.
            let scrape = try await ProcessRunner.run(command: "curl", ["-sS", "-i", "http://127.0.0.1:\(port)/metrics"])
            #expect(scrape.stdout.contains("HTTP/1.1 200 OK"))
            #expect(scrape.stdout.lowercased().contains("content-type: text/plain; version=0.0.4"))
            #expect(scrape.stdout.contains(#"botstatsd_post_failures_total{bot="main",target="dbl",class="429"} 1"#))
            let missing = try await ProcessRunner.run(command: "curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/other"])
            #expect(missing.stdout == "404")
        }
    }

    @Test func badRequestsGetErrorObjectsAndTheDaemonCarriesOn() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            let client = try RawControlClient.connect(path: daemon.controlSocket)
            defer { client.close() }
            let cases: [(String, String)] = [
                ("this is not json", "bad_request"),
                (#"{"v":1,"cmd":"explode"}"#, "unknown_command"),
                (#"{"v":1,"cmd":"set","servers":"many"}"#, "bad_request"),
                (#"{"v":1,"cmd":"set","servers":-5}"#, "bad_request"),
                (#"{"v":1,"cmd":"set","servers":1000000000000000}"#, "bad_request"),
                (#"{"v":1,"cmd":"set","servers":1.5}"#, "bad_request"),
                (#"{"v":1,"cmd":"post","target":42}"#, "bad_request"),
                (#"[]"#, "bad_request"),
                (#"{"v":7,"cmd":"status"}"#, "unsupported_version"),
            ]
            for (line, code) in cases {
                try client.send(line)
                let reply = try #require(try client.readLine(timeout: .seconds(5)))
                let object = try RawControlClient.parseObject(reply)
                #expect(object["ok"] as? Bool == false, "\(line)")
                #expect((object["error"] as? [String: Any])?["code"] as? String == code, "\(line): \(reply)")
            }
            // Several requests on one connection keep working after errors.
            try client.send(#"{"v":1,"cmd":"status"}"#)
            let status = try #require(try client.readLine(timeout: .seconds(5)))
            #expect(status.contains(#""ok":true"#))
            // A line over 64 KiB gets an error and a closed connection.
            let long = try RawControlClient.connect(path: daemon.controlSocket)
            defer { long.close() }
            try long.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 70 * 1024))
            let tooLong = try #require(try long.readLine(timeout: .seconds(5)))
            #expect(tooLong.contains("longer than 65536 bytes"))
            #expect(try long.readLine(timeout: .seconds(5)) == nil)
            #expect(daemon.isRunning)
        }
    }

    @Test func hostileClientsBlockNeitherOtherClientsNorTheWatchdog() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(list).render, environment: ["WATCHDOG_USEC": "2000000"], notifySocket: notify)
            defer { daemon.cleanup() }
            var idle: [RawControlClient] = []
            for _ in 0..<200 { idle.append(try RawControlClient.connect(path: daemon.controlSocket)) }
            defer { idle.forEach { $0.close() } }
            let unfinished = try RawControlClient.connect(path: daemon.controlSocket)
            defer { unfinished.close() }
            try unfinished.sendRaw(Array(#"{"v":1,"cmd":"sta"#.utf8))
            let socketPath = daemon.controlSocket
            let streamer = Task.detached {
                // 8 MiB without a newline, as fast as the daemon takes it.
                guard let client = try? RawControlClient.connect(path: socketPath) else { return }
                defer { client.close() }
                let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
                for _ in 0..<128 { if (try? client.sendRaw(chunk)) == nil { return } }
            }
            defer { streamer.cancel() }
            let pingsBefore = notify.messages().filter(\.isWatchdog).count
            for _ in 0..<5 {
                let start = ContinuousClock.now
                let status = try await daemon.ctl(["status", "--json"])
                let elapsed = start.duration(to: .now)
                #expect(status.exitCode == 0, "\(status)")
                #expect(elapsed < .milliseconds(900), "status took \(elapsed)")
            }
            // Two more pings (one a second) while the hostile clients hold on.
            try await waitUntil("two more watchdog pings", timeout: .seconds(5)) {
                notify.messages().filter(\.isWatchdog).count >= pingsBefore + 2
            }
            #expect(daemon.isRunning)
        }
    }

    @Test func onlyTrustedPeersMayChangeTheDaemon() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            // Loosen the socket so an untrusted user can connect at all; the daemon must still refuse changes.
            chmod(daemon.controlSocket, 0o666)
            chmod(daemon.directory.path, 0o755)
            let control = try Binaries.control.path
            let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", control, "--socket", daemon.controlSocket]
            let status = try await ProcessRunner.run(command: "setpriv", asNobody + ["status"])
            #expect(status.exitCode == 0, "\(status)")
            let set = try await ProcessRunner.run(command: "setpriv", asNobody + ["set", "--servers", "1"])
            #expect(set.exitCode == 1)
            #expect(set.stderr.contains("forbidden"))
            let asRoot = try await daemon.ctl(["set", "--servers", "2"])
            #expect(asRoot.exitCode == 0)
        }
    }

    @Test func aRepeatingFailureIsLoggedOnceWithACount() async throws {
        try await FakeBotList.withServer { list in
            list.script(path: Self.topggPath, [], then: .status(503))
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, repost: "1s").render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "10"])
            _ = try await list.waitForRequests(path: Self.topggPath, count: 9, timeout: .seconds(15))
            list.script(path: Self.topggPath, [], then: .ok)
            try await daemon.waitForLog(containing: "posted again after failures", timeout: .seconds(10))
            let lines = daemon.log().split(separator: "\n").filter { $0.contains("target.name=topgg") }
            #expect(lines.filter { $0.hasPrefix("<4>post failed; retrying") }.count == 1)
            #expect(lines.filter { $0.hasPrefix("<3>post failed; giving up") }.count == 1)
            let recovered = try #require(lines.first { $0.contains("posted again after failures") })
            #expect(recovered.contains("failures.unlogged="))
        }
    }
}

/// A small parser for the Prometheus text format: sample name with labels → value.
enum PrometheusText {
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw SupportError("not a Prometheus sample line: \(line)")
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
