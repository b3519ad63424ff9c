import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// systemd integration end to end: the real daemon with `NOTIFY_SOCKET` on a datagram socket the
/// test binds, as systemd would, plus the unit files checked by `systemd-analyze`.
@Suite(.serialized) struct SystemdTests {
    /// One bot with a top.gg-shaped target per name in `targets`, each at its own path of `list`.
    static func config(_ list: FakeBotList, targets: [String] = ["topgg"]) -> TestConfiguration {
        TestConfiguration(
            bot: .init(
                id: "123456789012345678",
                targets: targets.map { name in
                    .init(name, provider: "topgg", token: "tok-SECRET-\(name)", baseURL: "\(list.baseURL)/\(name)")
                }))
    }

    @Test func readyArrivesOnlyOnceTheControlSocketAccepts() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render, notifySocket: notify, waitForSocket: false)
            defer { daemon.cleanup() }
            let ready = try await notify.waitFor({ $0.isReady }, timeout: .seconds(15))
            // At the moment READY=1 arrives, a client can already connect and be served.
            let reply = try daemon.request(#"{"v":1,"cmd":"status"}"#)
            #expect(reply["ok"] as? Bool == true)
            #expect(ready.status?.contains("0/1 lists ok") == true || ready.status?.contains("lists ok") == true, "\(ready.text)")
            #expect(notify.messages().filter(\.isReady).count == 1)
        }
    }

    @Test func watchdogPingsComeEveryHalfInterval() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(list).render, environment: ["WATCHDOG_USEC": "2000000"], notifySocket: notify)
            defer { daemon.cleanup() }
            try await waitUntil("six watchdog pings", timeout: .seconds(10)) {
                notify.messages().filter(\.isWatchdog).count >= 6
            }
            let pings = notify.messages().filter(\.isWatchdog)
            #expect(pings.count >= 6)
            for (earlier, later) in zip(pings, pings.dropFirst()) {
                let gap = earlier.receivedAt.duration(to: later.receivedAt)
                #expect(gap <= .milliseconds(1100), "watchdog gap \(gap)")
            }
        }
    }

    @Test func sighupReloadsWithReloadingMonotonicThenReady() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render, notifySocket: notify)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "5"])
            _ = try await list.waitForRequests(path: "/topgg/v1/projects/@me/metrics", count: 1, timeout: .seconds(10))
            _ = try await notify.waitFor({ $0.isReady }, timeout: .seconds(5))
            // Add a list, then SIGHUP: the new list gets the cached counts, the old one keeps its state.
            try daemon.writeConfig(Self.config(list, targets: ["topgg", "second"]).render)
            daemon.signal(SIGHUP)
            let reloading = try await notify.waitFor({ $0.isReloading }, timeout: .seconds(10))
            let usec = try #require(reloading.fields["MONOTONIC_USEC"].flatMap { UInt64($0) })
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
            #expect(usec <= nowUsec && nowUsec - usec < 10_000_000)
            let before = notify.messages().firstIndex { $0.isReloading } ?? 0
            let readyAgain = try await notify.waitFor({ $0.isReady }, skipping: before, timeout: .seconds(10))
            #expect(readyAgain.receivedAt > reloading.receivedAt)
            let second = try await list.waitForRequests(path: "/second/v1/projects/@me/metrics", count: 1, timeout: .seconds(10))
            #expect(second[0].body == #"{"server_count":5}"#)
            let status = try await daemon.ctl(["status", "--json"])
            #expect(status.stdout.contains(#""posts_total" : 1"#))
            #expect(list.requests(path: "/topgg/v1/projects/@me/metrics").count == 1)
        }
    }

    @Test func brokenConfigOnReloadKeepsTheOldOneAndFailsTheCommand() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render, notifySocket: notify)
            defer { daemon.cleanup() }
            var broken = Self.config(list)
            broken.extraTOML = "[targets.broken]\nprovider = \"nosuchlist\"\n"
            try daemon.writeConfig(broken.render)
            let reload = try await daemon.ctl(["reload"])
            #expect(reload.exitCode == 1, "\(reload)")
            #expect(reload.stderr.contains("reload_failed"))
            #expect(reload.stderr.contains("targets.broken.provider"))
            let status = try await notify.waitFor({ $0.status?.contains("reload failed") == true }, timeout: .seconds(5))
            #expect(status.status?.contains("targets.broken.provider") == true)
            #expect(daemon.log().contains("<3>reload rejected"))
            // The old configuration still runs.
            _ = try await daemon.ctl(["set", "--servers", "9"])
            _ = try await list.waitForRequests(path: "/topgg/v1/projects/@me/metrics", count: 1, timeout: .seconds(10))
            let json = try await daemon.ctl(["status", "--json"])
            #expect(json.stdout.contains(#""last_reload_error" : "#))
            #expect(!json.stdout.contains(#""name" : "broken""#))
            // Fixing the file and reloading succeeds.
            try daemon.writeConfig(Self.config(list).render)
            let fixed = try await daemon.ctl(["reload"])
            #expect(fixed.exitCode == 0, "\(fixed)")
            #expect(fixed.stdout.contains("1 bot(s), 1 target(s)"))
        }
    }

    @Test func sigtermSaysStoppingAndExitsZero() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render, notifySocket: notify)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "5"])
            daemon.signal(SIGTERM)
            _ = try await notify.waitFor({ $0.isStopping }, timeout: .seconds(10))
            #expect(try await daemon.waitForExit(timeout: .seconds(15)) == 0)
            #expect(!FileManager.default.fileExists(atPath: daemon.controlSocket))
            let state = try String(contentsOf: daemon.stateDirectory.appendingPathComponent("bots/main.json"), encoding: .utf8)
            #expect(state.contains(#""servers" : 5"#))
        }
    }

    @Test func stopWithTheWatchdogOnExitsZero() async throws {
        try await FakeBotList.withServer { list in
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(list).render, environment: ["WATCHDOG_USEC": "2000000"], notifySocket: notify)
            defer { daemon.cleanup() }
            _ = try await notify.waitFor({ $0.isWatchdog }, timeout: .seconds(10))
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit(timeout: .seconds(5)) == 0)
            #expect(!daemon.log().contains("fatal"), "\(daemon.log())")
        }
    }

    /// SIGTERM with everything in flight at once: a request a list takes a minute to answer, a
    /// list that deferred us for 100 minutes, a `post` waiting for its outcome, an idle client
    /// and a client that pipelines requests without reading the answers. The daemon still exits
    /// 0 within the 5 s grace, and the waiting `post` gets an answer.
    @Test func stopEndsWithinTheGraceWhateverIsInFlight() async throws {
        try await FakeBotList.withServer { list in
            let metrics = "/v1/projects/@me/metrics"
            list.script(path: "/slow" + metrics, [FakeResponse.ok.delayed(by: .seconds(60))])
            list.script(path: "/deferred" + metrics, [.tooManyRequests(retryAfter: "6000")])
            let notify = try NotifySocket.bind()
            defer { notify.close() }
            let daemon = try await DaemonHarness.start(
                configTOML: Self.config(list, targets: ["topgg", "slow", "deferred"]).render,
                environment: ["WATCHDOG_USEC": "2000000"], notifySocket: notify)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--servers", "5"])
            _ = try await list.waitForRequests(path: "/slow" + metrics, count: 1, timeout: .seconds(10))
            _ = try await list.waitForRequests(path: "/deferred" + metrics, count: 1, timeout: .seconds(10))
            let post = Task { try await daemon.ctl(["--timeout", "60s", "post", "--target", "slow"]) }
            let idle = try RawControlClient.connect(path: daemon.controlSocket)
            defer { idle.close() }
            let greedy = try RawControlClient.connect(path: daemon.controlSocket)
            defer { greedy.close() }
            // Until the daemon's answers fill both socket buffers and it stops reading.
            var sent = 0
            for _ in 0..<100 where sent < 4 << 20 {
                sent += try greedy.pipelineWithoutReading(#"{"v":1,"cmd":"status"}"#)
                try await Task.sleep(for: .milliseconds(20))
            }
            let stopAt = ContinuousClock.now
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit(timeout: .seconds(6)) == 0, "\(daemon.log())")
            let took = stopAt.duration(to: .now)
            #expect(took < .seconds(5), "the stop took \(took)")
            #expect(!daemon.log().contains("fatal"))
            let answer = try await post.value
            #expect(answer.stdout.contains("slow") || answer.stderr.contains("shutting_down"), "\(answer)")
        }
    }

    @Test func staleSocketIsReplacedButALiveDaemonIsNot() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list).render)
            defer { daemon.cleanup() }
            // A second daemon on the same socket (with a state directory of its own, else the state
            // directory's lock would refuse it first) refuses to start.
            let otherState = daemon.directory.appendingPathComponent("other-state").path
            let secondConfig = daemon.directory.appendingPathComponent("second.toml")
            try String(contentsOf: daemon.configFile, encoding: .utf8)
                .replacingOccurrences(of: daemon.stateDirectory.path + "\"", with: otherState + "\"")
                .write(to: secondConfig, atomically: true, encoding: .utf8)
            let second = try await ProcessRunner.run(
                try Binaries.daemon, ["--config", secondConfig.path], removing: DaemonHarness.isolatedEnvironmentKeys)
            #expect(second.exitCode == 1)
            #expect(second.stderr.contains("another botstatsd is already listening"))
            // A crash leaves the socket file behind; the next start replaces it.
            _ = try await daemon.kill9()
            #expect(FileManager.default.fileExists(atPath: daemon.controlSocket))
            let again = try await daemon.restart()
            let status = try await again.ctl(["status"])
            #expect(status.exitCode == 0)
            _ = try await again.stop()
        }
    }

    @Test func socketActivationServesOnThePassedDescriptor() async throws {
        try await FakeBotList.withServer { list in
            let dir = try TemporaryDirectory.make(prefix: "bsd-act-")
            defer { try? FileManager.default.removeItem(at: dir) }
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("state"), withIntermediateDirectories: true)
            let activated = dir.appendingPathComponent("activated.sock").path
            // control_socket points elsewhere: only the passed descriptor can answer.
            var unused = Self.config(list)
            unused.controlSocket = "unused.sock"
            let config = try unused.render(in: dir)
            try config.write(to: dir.appendingPathComponent("botstatsd.toml"), atomically: true, encoding: .utf8)
            // What systemd does: bind, listen, pass it as fd 3 with LISTEN_* naming our pid.
            let launcher = """
                import os, socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(sys.argv[1]); s.listen(16)
                if s.fileno() != 3: os.dup2(s.fileno(), 3)
                os.set_inheritable(3, True)
                os.environ.update(LISTEN_FDS="1", LISTEN_FDNAMES="control", LISTEN_PID=str(os.getpid()))
                os.execv(sys.argv[2], sys.argv[2:])
                """
            let daemonPath = try Binaries.daemon.path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", launcher, activated, daemonPath, "--config", dir.appendingPathComponent("botstatsd.toml").path]
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { process.terminate(); process.waitUntilExit() }
            var answered: ProcessResult?
            for _ in 0..<100 {
                let result = try await ProcessRunner.run(try Binaries.control, ["--socket", activated, "status", "--json"])
                if result.exitCode == 0 {
                    answered = result
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let status = try #require(answered)
            #expect(status.stdout.contains(#""pid" : \#(process.processIdentifier)"#))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("unused.sock").path))
        }
    }

    @Test func unitFilesPassSystemdAnalyze() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = try TemporaryDirectory.make(prefix: "bsd-unit-")
        defer { try? FileManager.default.removeItem(at: dir) }
        let daemonPath = try Binaries.daemon.path
        let controlPath = try Binaries.control.path
        let service = try String(contentsOf: root.appendingPathComponent("systemd/botstatsd.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/botstatsd", with: daemonPath)
            .replacingOccurrences(of: "\(daemonPath)ctl", with: controlPath)
            .replacingOccurrences(of: "/usr/bin/botstatsctl", with: controlPath)
        try service.write(to: dir.appendingPathComponent("botstatsd.service"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("systemd/botstatsd.socket"), to: dir.appendingPathComponent("botstatsd.socket"))
        let verify = try await ProcessRunner.run(
            command: "systemd-analyze",
            ["verify", dir.appendingPathComponent("botstatsd.service").path, dir.appendingPathComponent("botstatsd.socket").path])
        #expect(verify.exitCode == 0, "\(verify)")
        #expect(verify.stderr.isEmpty, "\(verify)")
        let security = try await ProcessRunner.run(
            command: "systemd-analyze", ["security", "--offline=true", dir.appendingPathComponent("botstatsd.service").path])
        let line = try #require(security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 1.5, "\(line)")
    }
}
