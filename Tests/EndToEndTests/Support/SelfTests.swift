import Foundation
import Glibc
import Synchronization
import Testing

/// Proves the end-to-end support works on its own, without botstatsd: if these fail, the end-to-end tests'
/// failures say nothing about the daemon.
@Suite("End-to-end support")
struct SupportSelfTests {
    static let curlInstalled = ProcessRunner.which("curl") != nil

    // MARK: FakeBotList

    @Test(.enabled(if: curlInstalled, "needs curl"))
    func fakeBotListRecordsMethodPathHeadersAndBody() async throws {
        try await FakeBotList.withServer { lists in
            let result = try await curl([
                "-X", "PATCH",
                "-H", "Authorization: Bearer not-a-secret",
                "-H", "Content-Type: application/json",
                "--data", #"{"server_count":5,"shard_count":1}"#,
                "\(lists.baseURL)/v1/projects/@me/metrics?source=test",
            ])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout == "{}")

            let requests = lists.requests(path: "/v1/projects/@me/metrics")
            #expect(requests.count == 1)
            let request = try #require(requests.first)
            #expect(request.method == "PATCH")
            #expect(request.path == "/v1/projects/@me/metrics?source=test")
            #expect(request.query == "source=test")
            #expect(request.header("authorization") == "Bearer not-a-secret")
            #expect(request.header("CONTENT-TYPE") == "application/json")
            #expect(request.header("X-Absent") == nil)
            #expect(request.body == #"{"server_count":5,"shard_count":1}"#)
            #expect(request.jsonBody()?["server_count"] as? Int == 5)
            #expect(lists.requests(path: "/v1/projects/@me/metrics?source=test").count == 1)
            #expect(lists.requests(path: "/other").isEmpty)
        }
    }

    @Test(.enabled(if: curlInstalled, "needs curl"))
    func fakeBotListServesScriptedResponsesThenDefault200() async throws {
        try await FakeBotList.withServer { lists in
            lists.script(
                path: "/bots/stats",
                [
                    .tooManyRequests(retryAfter: "2", body: #"{"retry_after":2}"#)
                        .adding(header: "X-RateLimit-Remaining", "0"),
                    .status(401),
                ]
            )
            let url = "\(lists.baseURL)/bots/stats"

            let first = try await curl(["-i", "-X", "POST", "--data", "{}", url])
            #expect(first.stdout.hasPrefix("HTTP/1.1 429"), "\(first)")
            #expect(first.stdout.contains("Retry-After: 2\r\n"))
            #expect(first.stdout.contains("X-RateLimit-Remaining: 0\r\n"))
            #expect(first.stdout.hasSuffix(#"{"retry_after":2}"#))

            let second = try await curl(["-i", "-X", "POST", "--data", "{}", url])
            #expect(second.stdout.hasPrefix("HTTP/1.1 401"), "\(second)")

            let third = try await curl(["-i", "-X", "POST", "--data", "{}", url + "?after=exhausted"])
            #expect(third.stdout.hasPrefix("HTTP/1.1 200"), "\(third)")
            #expect(third.stdout.hasSuffix("\r\n\r\n{}"))

            let posts = try await lists.waitForRequests(path: "/bots/stats", count: 3, timeout: .seconds(1))
            #expect(posts.map(\.method) == ["POST", "POST", "POST"])
        }
    }

    @Test(.enabled(if: curlInstalled, "needs curl"))
    func fakeBotListDelayDoesNotBlockOtherConnections() async throws {
        try await FakeBotList.withServer { lists in
            lists.script(path: "/slow", [FakeResponse.ok.delayed(by: .seconds(2))])
            let clock = ContinuousClock()
            let started = clock.now
            async let slow = curl(["\(lists.baseURL)/slow"])
            _ = try await lists.waitForRequests(path: "/slow", count: 1, timeout: .seconds(5))

            let fastTime = try await clock.measure {
                let fast = try await curl(["\(lists.baseURL)/fast"])
                #expect(fast.stdout == "{}")
            }
            #expect(fastTime < .seconds(1), "a delayed response held up another connection")

            let slowResult = try await slow
            #expect(slowResult.stdout == "{}", "\(slowResult)")
            #expect(started.duration(to: clock.now) >= .milliseconds(1900))
        }
    }

    @Test(.enabled(if: curlInstalled, "needs curl"))
    func fakeBotListKeepsConnectionsAlive() async throws {
        try await FakeBotList.withServer { lists in
            // Two transfers in one curl invocation share a connection when the server allows keep-alive:
            // the second reports zero new connects.
            let result = try await curl([
                "-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects}\\n",
                "\(lists.baseURL)/a", "\(lists.baseURL)/b",
            ])
            #expect(result.stdout == "1\n0\n", "\(result)")
            #expect(lists.requests().map(\.path) == ["/a", "/b"])
        }
    }

    @Test func waitForRequestsTimeoutNamesPathAndCounts() async throws {
        try await FakeBotList.withServer { lists in
            let error = await #expect(throws: SupportError.self) {
                try await lists.waitForRequests(path: "/never", count: 2, timeout: .milliseconds(100))
            }
            let message = error?.description ?? ""
            #expect(message.contains("/never"))
            #expect(message.contains("2 request(s)"))
            #expect(message.contains("saw 0"))
        }
    }

    // MARK: NotifySocket

    @Test func notifySocketReceivesDatagramsAndParsesFields() async throws {
        let notify = try NotifySocket.bind()
        defer { notify.close() }

        try Self.sendDatagram("READY=1\nSTATUS=5/6 lists ok, 1523 servers", to: notify.path)
        let ready = try await notify.waitFor({ $0.isReady }, timeout: .seconds(5))
        #expect(ready.status == "5/6 lists ok, 1523 servers")
        #expect(ready.fields["READY"] == "1")

        try Self.sendDatagram("RELOADING=1\nMONOTONIC_USEC=123=456", to: notify.path)
        try Self.sendDatagram("READY=1", to: notify.path)
        let reloading = try await notify.waitFor({ $0.isReloading }, timeout: .seconds(5))
        #expect(reloading.fields["MONOTONIC_USEC"] == "123=456")
        let readyAgain = try await notify.waitFor({ $0.isReady }, skipping: 2, timeout: .seconds(5))
        #expect(readyAgain.text == "READY=1")
        #expect(readyAgain.receivedAt >= ready.receivedAt)
        #expect(notify.messages().count == 3)

        let error = await #expect(throws: SupportError.self) {
            try await notify.waitFor({ $0.isStopping }, timeout: .milliseconds(100))
        }
        #expect(error?.description.contains("3 received") == true)

        let path = notify.path
        notify.close()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    // MARK: ProcessRunner

    @Test func processRunnerCapturesExitCodeAndBothStreams() async throws {
        let result = try await ProcessRunner.run(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "echo out; echo err >&2; exit 3"]
        )
        #expect(result.exitCode == 3)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
    }

    @Test func processRunnerDrainsLargeOutputOnBothStreams() async throws {
        let script = #"head -c 1000000 /dev/zero | tr '\0' a; head -c 1000000 /dev/zero | tr '\0' b >&2"#
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script])
        #expect(result.exitCode == 0)
        #expect(result.stdout.utf8.count == 1_000_000)
        #expect(result.stderr.utf8.count == 1_000_000)
    }

    @Test func processRunnerReportsDeathBySignalAs128PlusSignal() async throws {
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "kill -TERM $$"])
        #expect(result.exitCode == 128 + SIGTERM)
    }

    @Test func processRunnerKillsOnTimeoutAndQuotesOutput() async throws {
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            let error = await #expect(throws: SupportError.self) {
                try await ProcessRunner.run(
                    URL(fileURLWithPath: "/bin/sh"),
                    ["-c", "echo started; exec sleep 30"],
                    timeout: .milliseconds(300)
                )
            }
            #expect(error?.description.contains("was killed") == true)
            #expect(error?.description.contains("started") == true)
        }
        #expect(elapsed < .seconds(5))
    }

    @Test func processRunnerMergesAndRemovesEnvironment() async throws {
        let result = try await ProcessRunner.run(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", #"echo "$E2E_SUPPORT_VALUE|${HOME-unset}|${PATH:+path}""#],
            environment: ["E2E_SUPPORT_VALUE": "merged"],
            removing: ["HOME"]
        )
        #expect(result.stdout == "merged|unset|path\n", "\(result)")
    }

    @Test func childrenStartWithTheSignalsADaemonHandlesUnblocked() async throws {
        // Run straight from the Swift concurrency pool, whose threads block most signals: without care the
        // daemon would inherit SIGTERM and SIGHUP blocked, which systemd never does.
        let result = try await ProcessRunner.run(URL(fileURLWithPath: "/bin/grep"), ["SigBlk", "/proc/self/status"])
        let field = try #require(result.stdout.split(separator: "\t").last)
        let hex = field.trimmingCharacters(in: .whitespacesAndNewlines)
        let blocked = try #require(UInt64(hex, radix: 16))
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGPIPE] {
            #expect(blocked & (1 << UInt64(signal - 1)) == 0, "signal \(signal) is blocked in the child")
        }
    }

    // MARK: DaemonHarness (with a shell script standing in for botstatsd)

    @Test func daemonHarnessCapturesOutputSignalsStopsAndRestarts() async throws {
        let notify = try NotifySocket.bind()
        defer { notify.close() }
        let script = try Self.writeScript(
            """
            #!/bin/sh
            echo "fake daemon args: $*"
            echo "notify=${NOTIFY_SOCKET-unset} extra=${E2E_EXTRA-unset} socket=${BOTSTATSD_SOCKET-unset}"
            echo "to stderr" >&2
            trap 'echo "got HUP"' HUP
            trap 'echo "stopping"; exit 0' TERM
            while :; do sleep 0.05; done
            """
        )
        defer { try? FileManager.default.removeItem(at: script.deletingLastPathComponent()) }

        let daemon = try await DaemonHarness.start(
            configTOML: { dir in DaemonHarness.daemonSection(dir) + "[bot]\nid = \"42\"\n" },
            extraArgs: ["--dry-run"],
            environment: ["E2E_EXTRA": "x"],
            notifySocket: notify,
            waitForSocket: false,
            daemonExecutable: script
        )
        defer { daemon.cleanup() }
        #expect(daemon.directory.path.utf8.count + "/control.sock".utf8.count <= UnixSocketAddress.maximumPathLength)
        #expect(daemon.controlSocket == daemon.directory.path + "/control.sock")
        #expect(FileManager.default.fileExists(atPath: daemon.stateDirectory.path))
        let config = try String(contentsOf: daemon.configFile, encoding: .utf8)
        #expect(config.contains(#"control_socket = "\#(daemon.controlSocket)""#))
        #expect(config.contains(#"state_directory = "\#(daemon.stateDirectory.path)""#))
        #expect(config.contains(#"log_level = "debug""#))

        try await daemon.waitForLog(containing: "to stderr", timeout: .seconds(5))
        #expect(daemon.log().contains("fake daemon args: --config \(daemon.configFile.path) --dry-run"))
        #expect(daemon.log().contains("notify=\(notify.path) extra=x socket=unset"))

        daemon.signal(SIGHUP)
        try await daemon.waitForLog(containing: "got HUP", timeout: .seconds(5))
        #expect(try await daemon.stop() == 0)
        #expect(!daemon.isRunning)
        #expect(daemon.log().contains("stopping"))

        let second = try await daemon.restart(waitForSocket: false)
        #expect(second.pid != daemon.pid)
        #expect(second.directory == daemon.directory)
        try await second.waitForLog(containing: "fake daemon args: --config", timeout: .seconds(5))
        #expect(try await second.kill9() == 128 + SIGKILL)

        let logFile = try String(contentsOf: daemon.logFile, encoding: .utf8)
        #expect(logFile.components(separatedBy: "to stderr").count == 3, "both runs are in daemon.log")
        #expect(logFile.contains("got HUP"))

        let error = await #expect(throws: SupportError.self) {
            try await second.waitForLog(containing: "never printed", timeout: .seconds(5))
        }
        #expect(error?.description.contains("exited with code 137") == true)

        let directory = daemon.directory
        daemon.cleanup()
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func daemonHarnessReportsADaemonThatExitsBeforeItsSocketListens() async throws {
        let script = try Self.writeScript("#!/bin/sh\necho 'targets.topgg.token_file: no such file' >&2\nexit 78\n")
        defer { try? FileManager.default.removeItem(at: script.deletingLastPathComponent()) }
        let directory = try TemporaryDirectory.make(prefix: "bsd-e2e-")
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = await #expect(throws: SupportError.self) {
            try await DaemonHarness.start(
                in: directory,
                configTOML: DaemonHarness.daemonSection,
                daemonExecutable: script
            )
        }
        #expect(error?.description.contains("exited with code 78") == true)
        #expect(error?.description.contains("targets.topgg.token_file: no such file") == true)
    }

    // MARK: RawControlClient, UnixSocketAddress, Binaries

    @Test func rawControlClientExchangesLinesAndSeesClose() async throws {
        let directory = try TemporaryDirectory.make(prefix: "bsd-raw-")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("control.sock").path
        #expect(!UnixSocketAddress.acceptsConnections(path: path))

        let listener = try Self.listen(path: path)
        // Answers two lines on one connection, then closes it.
        let server = Thread {
            let connection = accept(listener, nil, nil)
            var received: [UInt8] = []
            var answered = 0
            var byte: UInt8 = 0
            while answered < 2, recv(connection, &byte, 1, 0) == 1 {
                guard byte == UInt8(ascii: "\n") else {
                    received.append(byte)
                    continue
                }
                let reply = #"{"v":1,"ok":true,"result":{"echo":\#(String(decoding: received, as: UTF8.self))}}"# + "\n"
                _ = reply.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                received.removeAll()
                answered += 1
            }
            close(connection)
            close(listener)
        }
        server.start()

        let client = try RawControlClient.connect(path: path)
        defer { client.close() }
        let response = try client.request(#"{"v":1,"cmd":"status"}"#)
        #expect(response["ok"] as? Bool == true)
        let echoed = (response["result"] as? [String: Any])?["echo"] as? [String: Any]
        #expect(echoed?["cmd"] as? String == "status")

        try client.sendRaw(Array(#"{"v":1,"#.utf8))
        try client.sendRaw(Array(#""cmd":"metrics"}"#.utf8) + [UInt8(ascii: "\n")])
        let line = try #require(try client.readLine(timeout: .seconds(5)))
        #expect(line.contains(#""cmd":"metrics""#))
        #expect(try client.readLine(timeout: .seconds(5)) == nil)

        #expect(throws: SupportError.self) {
            try RawControlClient.connect(path: directory.appendingPathComponent("missing.sock").path)
        }
    }

    @Test func unixSocketPathsOverTheLimitAreRejected() {
        let tooLong = "/tmp/" + String(repeating: "x", count: 120)
        #expect(throws: SupportError.self) {
            try UnixSocketAddress.withSockaddr(path: tooLong) { _, _ in () }
        }
        #expect(UnixSocketAddress.maximumPathLength == 107)
    }

    @Test func binariesAreFoundOrTheErrorSaysToBuild() throws {
        do {
            let daemon = try Binaries.daemon
            #expect(FileManager.default.isExecutableFile(atPath: daemon.path))
            #expect(daemon.lastPathComponent == "botstatsd")
        } catch let error as SupportError {
            #expect(error.description.contains("swift build"))
        }
    }

    // MARK: TestConfiguration and waitUntil

    @Test func testConfigurationWritesTokensDropInsAndTheMainFile() throws {
        let dir = try TemporaryDirectory.make(prefix: "bsd-cfgself-")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = TestConfiguration(
            bot: .init(
                id: "42", repostInterval: "2s",
                targets: [
                    .init("topgg", token: "shared\n", baseURL: "http://x/topgg"),
                    .init("dbl", provider: "discordbotlist", token: "shared\n", baseURL: nil),
                ]),
            retry: .init(maxAttempts: 2, timeout: "5s"))
        config.metricsListen = "127.0.0.1:9100"
        config.stateDirectory = "/elsewhere/state"
        config.dropIns["second"] = .init(id: "43", discord: .init(token: "disc\"tok", baseURL: "http://x/discord"))
        config.extraTOML = "[targets.extra]\nprovider = \"x\""
        let text = try config.render(in: dir)
        let token = dir.appendingPathComponent("tokens/main.topgg").path
        #expect(
            text == """
                [daemon]
                control_socket = "\(dir.path)/control.sock"
                state_directory = "/elsewhere/state"
                log_level = "debug"
                metrics_listen = "127.0.0.1:9100"

                [retry]
                max_attempts = 2
                timeout = "5s"

                [bot]
                id = "42"
                repost_interval = "2s"

                [targets.topgg]
                token_file = "\(token)"
                base_url = "http://x/topgg"

                [targets.dbl]
                provider = "discordbotlist"
                token_file = "\(token)"

                [targets.extra]
                provider = "x"

                """)
        // One file per distinct token, kept exactly, mode 0600.
        #expect(try String(contentsOfFile: token, encoding: .utf8) == "shared\n")
        let mode = try FileManager.default.attributesOfItem(atPath: token)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let tokens = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("tokens").path)
        #expect(Set(tokens) == ["main.topgg", "second.discord"])
        let dropIn = try String(contentsOf: dir.appendingPathComponent("bots.d/second.toml"), encoding: .utf8)
        #expect(dropIn.hasPrefix("[bot]\nid = \"43\"\nsource = \"discord\"\n"), "\(dropIn)")
        #expect(try String(contentsOf: dir.appendingPathComponent("tokens/second.discord"), encoding: .utf8) == "disc\"tok")

        // A configuration without the drop-in removes its file.
        config.dropIns = [:]
        _ = try config.render(in: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("bots.d").path).isEmpty)
    }

    @Test func waitUntilReturnsOnceTheConditionHoldsAndNamesWhatItWaitedFor() async throws {
        let calls = Mutex(0)
        try await waitUntil("three calls", timeout: .seconds(5), interval: .milliseconds(1)) {
            calls.withLock {
                $0 += 1; return $0 >= 3
            }
        }
        #expect(calls.withLock { $0 } == 3)
        let error = await #expect(throws: SupportError.self) {
            try await waitUntil("never", timeout: .milliseconds(30), describe: { "still nothing" }) { false }
        }
        #expect(error?.description.contains("for never; last seen: still nothing") == true, "\(String(describing: error))")
    }

    // MARK: Helpers

    private func curl(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(
            command: "curl",
            ["--silent", "--show-error", "--noproxy", "*", "--max-time", "10"] + arguments,
            timeout: .seconds(15)
        )
    }

    /// Writes an executable script into a new temporary directory and returns its URL.
    private static func writeScript(_ text: String) throws -> URL {
        let directory = try TemporaryDirectory.make(prefix: "bsd-script-")
        let script = directory.appendingPathComponent("fake-daemon")
        try Data(text.utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    private static func sendDatagram(_ text: String, to path: String) throws {
        let fd = try UnixSocketAddress.makeSocket(type: SOCK_DGRAM)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let sent = try UnixSocketAddress.withSockaddr(path: path) { address, length in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, length) }
        }
        guard sent == bytes.count else {
            throw SupportError.posix("sendto", errno, path)
        }
    }

    private static func listen(path: String) throws -> Int32 {
        let fd = try UnixSocketAddress.makeSocket(type: SOCK_STREAM)
        let bound = try UnixSocketAddress.withSockaddr(path: path) { address, length in
            bind(fd, address, length)
        }
        guard bound == 0, Glibc.listen(fd, 8) == 0 else {
            let code = errno
            close(fd)
            throw SupportError.posix("bind/listen", code, path)
        }
        return fd
    }
}
