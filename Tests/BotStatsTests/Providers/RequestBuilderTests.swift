import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// One expected request per built-in provider: SPEC §4, row by row.
struct ProviderShape: Sendable, CustomTestStringConvertible {
    let provider: String
    let method: String
    let url: String
    let authorization: String
    let body: String?

    var testDescription: String { provider }
}

@Suite struct RequestBuilderTests {
    static let counts = BotCounts(servers: 1520, users: 88000, shards: 2, updatedAt: Date(timeIntervalSince1970: 0))
    static let botID = "123456789012345678"

    static let shapes: [ProviderShape] = [
        .init(
            provider: "topgg", method: "PATCH", url: "https://top.gg/api/v1/projects/@me/metrics",
            authorization: "Bearer TOKEN", body: #"{"server_count":1520,"shard_count":2}"#),
        .init(
            provider: "topgg-legacy", method: "POST", url: "https://top.gg/api/bots/stats",
            authorization: "TOKEN", body: #"{"server_count":1520,"shard_count":2}"#),
        .init(
            provider: "omniplex", method: "POST", url: "https://spider.omniplex.gg/bots/stats",
            authorization: "TOKEN", body: #"{"servers":1520,"shards":2,"users":88000}"#),
        .init(
            provider: "discordbotlist", method: "POST", url: "https://discordbotlist.com/api/v1/bots/123456789012345678/stats",
            authorization: "TOKEN", body: #"{"guilds":1520,"users":88000}"#),
        .init(
            provider: "discordbotsgg", method: "POST", url: "https://discord.bots.gg/api/v1/bots/123456789012345678/stats",
            authorization: "TOKEN", body: #"{"guildCount":1520,"shardCount":2}"#),
        .init(
            provider: "discords", method: "POST", url: "https://discords.com/bots/api/bot/123456789012345678/setservers",
            authorization: "TOKEN", body: #"{"server_count":1520}"#),
        .init(
            provider: "botlistme", method: "POST", url: "https://api.botlist.me/api/v1/bots/123456789012345678/stats",
            authorization: "TOKEN", body: #"{"server_count":1520,"shard_count":2}"#),
        .init(
            provider: "discordlist", method: "PUT", url: "https://api.discordlist.gg/v0/bots/123456789012345678/guilds?count=1520",
            authorization: "Bearer TOKEN", body: nil),
        .init(
            provider: "voidbots", method: "POST", url: "https://api.voidbots.net/bot/stats/123456789012345678",
            authorization: "TOKEN", body: #"{"server_count":1520,"shard_count":2}"#),
        .init(
            provider: "discordextremelist", method: "POST", url: "https://api.discordextremelist.xyz/v2/bot/123456789012345678/stats",
            authorization: "TOKEN", body: #"{"guildCount":1520,"shardCount":2}"#),
        .init(
            provider: "disforge", method: "POST", url: "https://disforge.com/api/botstats/123456789012345678",
            authorization: "TOKEN", body: #"{"servers":1520}"#),
        .init(
            provider: "botsondiscord", method: "POST", url: "https://bots.ondiscord.xyz/bot-api/bots/123456789012345678/guilds",
            authorization: "TOKEN", body: #"{"guildCount":1520}"#),
    ]

    static func target(_ provider: String, baseURL: String? = nil) -> TargetSettings {
        TargetSettings(name: provider, request: .builtin(ProviderTable.provider(named: provider)!), baseURL: baseURL, token: Secret("TOKEN"))
    }

    @Test func tableCoversEveryProviderOfTheSpec() {
        #expect(ProviderTable.all.map(\.name) == Self.shapes.map(\.provider))
    }

    @Test(arguments: shapes)
    func builtInProviderSendsTheSpecifiedRequest(_ shape: ProviderShape) {
        let request = RequestBuilder().request(for: Self.target(shape.provider), botID: Self.botID, counts: Self.counts)
        #expect(request.method == shape.method)
        #expect(request.url == shape.url)
        #expect(request.header("Authorization") == shape.authorization)
        #expect(request.body == shape.body)
        #expect(request.header("Content-Type") == (shape.body == nil ? nil : "application/json"))
        #expect(request.header("User-Agent") == "botstatsd/\(BotStatsVersion.version) (+\(BotStatsVersion.projectURL))")
    }

    @Test(arguments: shapes)
    func baseURLReplacesTheProvidersDefault(_ shape: ProviderShape) {
        let spec = ProviderTable.provider(named: shape.provider)!
        let request = RequestBuilder().request(
            for: Self.target(shape.provider, baseURL: "http://127.0.0.1:8080/"), botID: Self.botID, counts: Self.counts)
        #expect(request.url == shape.url.replacingOccurrences(of: spec.defaultBaseURL, with: "http://127.0.0.1:8080"))
    }

    @Test func unknownCountsAreLeftOutOfBuiltInBodies() {
        let counts = BotCounts(servers: 7, updatedAt: Date())
        let request = RequestBuilder().request(for: Self.target("omniplex"), botID: Self.botID, counts: counts)
        #expect(request.body == #"{"servers":7}"#)
    }

    /// Infinity Bot List became Omniplex in January 2026; configurations written before keep working.
    @Test func infinitybotsIsAnAliasOfOmniplex() throws {
        let alias = try #require(ProviderTable.provider(named: "infinitybots"))
        #expect(alias == ProviderTable.provider(named: "omniplex"))
        #expect(alias.name == "omniplex")
        #expect(alias.defaultBaseURL == "https://spider.omniplex.gg")
        let request = RequestBuilder().request(for: Self.target("infinitybots"), botID: Self.botID, counts: Self.counts)
        #expect(request.url == "https://spider.omniplex.gg/bots/stats")
    }

    @Test func customTemplateExpandsPlaceholdersAndTokenOnlyInHeaders() {
        let template = CustomTemplate(
            url: "https://mylist.example/api/bots/{bot_id}/stats?s={servers}", method: "PUT",
            headers: [HeaderTemplate(name: "Authorization", value: "Bot {token}")],
            body: #"{"guilds": {servers}, "users": {users}, "shards": {shards}}"#)
        let target = TargetSettings(name: "mylist", request: .custom(template), token: Secret("TOKEN"))
        let counts = BotCounts(servers: 10, users: 20, updatedAt: Date())
        let request = RequestBuilder().request(for: target, botID: "42", counts: counts)
        #expect(request.method == "PUT")
        #expect(request.url == "https://mylist.example/api/bots/42/stats?s=10")
        #expect(request.header("authorization") == "Bot TOKEN")
        #expect(request.body == #"{"guilds": 10, "users": 20, "shards": null}"#)
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("User-Agent")?.hasPrefix("botstatsd/") == true)
    }

    @Test func redactedSummaryNeverShowsTheToken() {
        let request = RequestBuilder().request(for: Self.target("topgg"), botID: Self.botID, counts: Self.counts)
        let summary = request.redactedSummary(token: Secret("TOKEN"))
        #expect(!summary.contains("TOKEN"))
        #expect(summary.contains("Bearer [redacted]"))
        #expect(summary.contains("PATCH https://top.gg/api/v1/projects/@me/metrics"))
    }

    @Test func secretInterpolationIsRedacted() {
        let secret = Secret("hunter2-secret")
        #expect("\(secret)" == "[redacted]")
        #expect(String(describing: [secret]).contains("hunter2") == false)
    }
}
