import Foundation
import Testing

/// Reloads keep what they must and apply what they are asked, in order (issue 11).
@Suite(.serialized) struct ReloadTests {
    /// The main bot, with `mainTargets` top.gg targets, plus, when `second` is true, a drop-in bot `second`.
    static func config(_ list: FakeBotList, second: Bool, mainTargets: Int = 1) -> TestConfiguration {
        var config = TestConfiguration(
            bot: .init(
                id: "100000000000000000",
                targets: (0..<mainTargets).map { index in
                    .init("t\(index)", provider: "topgg", token: "tok-SECRET-main", baseURL: "\(list.baseURL)/main\(index)")
                }))
        if second {
            config.dropIns["second"] = .init(
                id: "200000000000000000",
                targets: [
                    .init("dbl", provider: "discordbotlist", token: "tok-SECRET-second", baseURL: "\(list.baseURL)/second")
                ])
        }
        return config
    }

    static func bot(_ status: [String: Any], _ name: String) -> [String: Any]? {
        (status["bots"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    @Test func aBotRemovedAndAddedBackKeepsItsCounts() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, second: true).render)
            defer { daemon.cleanup() }
            _ = try await daemon.ctl(["set", "--bot", "second", "--servers", "4321"])
            _ = try await list.waitForRequests(path: "/second/bots/200000000000000000/stats", count: 1, timeout: .seconds(10))
            try daemon.writeConfig(Self.config(list, second: false).render)
            #expect(try await daemon.ctl(["reload"]).exitCode == 0)
            #expect(Self.bot(try await daemon.statusJSON(), "second") == nil)
            try daemon.writeConfig(Self.config(list, second: true).render)
            #expect(try await daemon.ctl(["reload"]).exitCode == 0)
            let second = try #require(Self.bot(try await daemon.statusJSON(), "second"))
            #expect((second["counts"] as? [String: Any])?["servers"] as? Int == 4321, "\(second)")
            let saved = try String(contentsOf: daemon.stateDirectory.appendingPathComponent("bots/second.json"), encoding: .utf8)
            #expect(saved.contains(#""servers" : 4321"#), "\(saved)")
        }
    }

    /// Two reloads at once, the first reading a large file while the second is asked for: the
    /// configuration that ends up running is the file as it was last written, never the first
    /// reload's older reading applied after the second.
    @Test func concurrentReloadsApplyTheNewestFile() async throws {
        try await FakeBotList.withServer { list in
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, second: false, mainTargets: 1).render)
            defer { daemon.cleanup() }
            for trial in 0..<2 {
                try daemon.writeConfig(Self.config(list, second: false, mainTargets: 600).render)
                let started = daemon.log().components(separatedBy: "reloading configuration").count
                async let large = daemon.ctl(["reload"], timeout: .seconds(60))
                // Once the first reload is reading the large file, the small one replaces it.
                let deadline = ContinuousClock.now.advanced(by: .seconds(20))
                while daemon.log().components(separatedBy: "reloading configuration").count == started,
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(5))
                }
                try daemon.writeConfig(Self.config(list, second: false, mainTargets: 1).render)
                async let small = daemon.ctl(["reload"], timeout: .seconds(60))
                _ = try await (large, small)
                let targets = (Self.bot(try await daemon.statusJSON(), "main")?["targets"] as? [Any])?.count
                #expect(targets == 1, "trial \(trial): \(targets ?? -1) targets running")
            }
        }
    }
}
