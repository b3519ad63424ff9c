import Foundation
import Testing

/// `source = "discord"` end to end against a local fake of Discord's `/applications/@me`.
@Suite(.serialized) struct DiscordSourceTests {
    static let botID = "123456789012345678"
    static let dblPath = "/dbl/bots/\(botID)/stats"

    static func config(_ list: FakeBotList, repost: String) -> TestConfiguration {
        TestConfiguration(
            bot: .init(
                id: botID, repostInterval: repost,
                discord: .init(token: "disc-SECRET-token", baseURL: "\(list.baseURL)/discord/api/v10"),
                targets: [.init("dbl", provider: "discordbotlist", token: "dbl-SECRET-token", baseURL: "\(list.baseURL)/dbl")]),
            retry: .init(maxAttempts: 3, baseDelay: "100ms"))
    }

    @Test func countsComeFromDiscordUnderItsRateLimit() async throws {
        try await FakeBotList.withServer { list in
            let path = "/discord/api/v10/applications/@me"
            list.script(
                path: path,
                [
                    FakeResponse(
                        status: 429,
                        headers: [("X-RateLimit-Limit", "5"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset-After", "1.5")],
                        body: #"{"message":"You are being rate limited.","retry_after":1.5,"global":false}"#),
                    FakeResponse(status: 200, body: #"{"id":"123456789012345678","approximate_guild_count":4321}"#),
                ], then: .status(401, body: #"{"message":"401: Unauthorized"}"#))
            let daemon = try await DaemonHarness.start(configTOML: Self.config(list, repost: "3s").render)
            defer { daemon.cleanup() }
            let fetches = try await list.waitForRequests(path: path, count: 2, timeout: .seconds(10))
            #expect(fetches[0].method == "GET")
            #expect(fetches[0].header("Authorization") == "Bot disc-SECRET-token")
            let gap = fetches[0].receivedAt.duration(to: fetches[1].receivedAt)
            #expect(gap >= .milliseconds(1500), "fetched again after \(gap)")
            let posts = try await list.waitForRequests(path: Self.dblPath, count: 1, timeout: .seconds(10))
            #expect(posts[0].body == #"{"guilds":4321}"#)

            // The next fetch fails: the last counts stay, are posted again, and status says why.
            _ = try await list.waitForRequests(path: path, count: 3, timeout: .seconds(10))
            let reposts = try await list.waitForRequests(path: Self.dblPath, count: 2, timeout: .seconds(10))
            #expect(reposts[1].body == #"{"guilds":4321}"#)
            let object = try await daemon.statusJSON()
            let bot = try #require((object["bots"] as? [[String: Any]])?.first)
            #expect((bot["counts"] as? [String: Any])?["servers"] as? Int == 4321)
            let source = try #require(bot["source"] as? [String: Any])
            #expect(source["kind"] as? String == "discord")
            #expect((source["last_error"] as? String)?.contains("HTTP 401") == true)
            let human = try await daemon.ctl(["status"])
            #expect(human.stdout.contains("FETCH FAILED"))
            #expect(!daemon.log().contains("SECRET"))
        }
    }
}
