import Foundation
import Testing

/// A daemon that cannot start says what failed and why in one line: the key or path and the
/// reason in plain words, never a type dump (issue 12).
@Suite(.serialized) struct StartupErrorsTests {
    static func start(_ edit: @escaping (String, URL) throws -> String) async throws -> (code: Int32, log: String) {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(
                configTOML: { dir in try edit(try SystemdTests.config(list)(dir), dir) }, waitForSocket: false)
            defer { daemon.cleanup() }
            let code = try await daemon.waitForExit(timeout: .seconds(10))
            return (code, daemon.log())
        }
    }

    static func fatalLine(_ log: String) -> String? {
        log.split(separator: "\n").first { $0.contains("fatal") }.map(String.init)
    }

    @Test func aControlSocketInAMissingDirectoryNamesThePath() async throws {
        let (code, log) = try await Self.start { text, dir in
            text.replacingOccurrences(of: "\(dir.path)/control.sock", with: "\(dir.path)/nowhere/control.sock")
        }
        #expect(code == 1)
        let line = try #require(Self.fatalLine(log), "\(log)")
        #expect(line.contains("nowhere/control.sock: no such file or directory"), "\(line)")
        #expect(!line.contains("descriptor:ptr"), "\(line)")
    }

    @Test func aStateDirectoryThatCannotBeMadeNamesTheKeyAndPath() async throws {
        let (code, log) = try await Self.start { text, dir in
            try "".write(to: dir.appendingPathComponent("plainfile"), atomically: true, encoding: .utf8)
            return text.replacingOccurrences(of: "\(dir.path)/state", with: "\(dir.path)/plainfile/state")
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
        let (code, log) = try await Self.start { text, _ in
            text.replacingOccurrences(of: "[daemon]\n", with: "[daemon]\nmetrics_listen = \"127.0.0.1:\(port)\"\n")
        }
        #expect(code == 1)
        let line = try #require(Self.fatalLine(log), "\(log)")
        #expect(line.contains("daemon.metrics_listen 127.0.0.1:\(port): address already in use"), "\(line)")
    }
}
