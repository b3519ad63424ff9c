import Foundation
import Testing

/// A daemon that cannot start says what failed and why in one line: the key or path and the
/// reason in plain words, never a type dump (issue 12).
@Suite(.serialized) struct StartupErrorsTests {
    /// Starts a daemon on ``SystemdTests/config(_:targets:)`` as `edit` changes it (it also gets the
    /// directory), and waits for it to exit.
    static func start(_ edit: @escaping (inout TestConfiguration, URL) throws -> Void) async throws -> (code: Int32, log: String) {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(
                configTOML: { dir in
                    var config = SystemdTests.config(list)
                    try edit(&config, dir)
                    return try config.render(in: dir)
                },
                waitForSocket: false)
            defer { daemon.cleanup() }
            let code = try await daemon.waitForExit(timeout: .seconds(10))
            return (code, daemon.log())
        }
    }

    static func fatalLine(_ log: String) -> String? {
        log.split(separator: "\n").first { $0.contains("fatal") }.map(String.init)
    }

    @Test func aControlSocketInAMissingDirectoryNamesThePath() async throws {
        let (code, log) = try await Self.start { config, _ in
            config.controlSocket = "nowhere/control.sock"
        }
        #expect(code == 1)
        let line = try #require(Self.fatalLine(log), "\(log)")
        #expect(line.contains("nowhere/control.sock: no such file or directory"), "\(line)")
        #expect(!line.contains("descriptor:ptr"), "\(line)")
    }

    @Test func aStateDirectoryThatCannotBeMadeNamesTheKeyAndPath() async throws {
        let (code, log) = try await Self.start { config, dir in
            try "".write(to: dir.appendingPathComponent("plainfile"), atomically: true, encoding: .utf8)
            config.stateDirectory = "plainfile/state"
        }
        #expect(code == 1)
        let line = try #require(Self.fatalLine(log), "\(log)")
        #expect(line.contains("daemon.state_directory "), "\(line)")
        #expect(line.contains("plainfile/state: not a directory"), "\(line)")
        #expect(!line.contains("NSCocoaErrorDomain"))
    }

    @Test func aBusyMetricsPortNamesTheKeyAndAddress() async throws {
        let port = try TCPPort.free()
        let holder = try TCPPort.listen(port)
        defer { close(holder) }
        let (code, log) = try await Self.start { config, _ in
            config.metricsListen = "127.0.0.1:\(port)"
        }
        #expect(code == 1)
        let line = try #require(Self.fatalLine(log), "\(log)")
        #expect(line.contains("daemon.metrics_listen 127.0.0.1:\(port): address already in use"), "\(line)")
    }
}
