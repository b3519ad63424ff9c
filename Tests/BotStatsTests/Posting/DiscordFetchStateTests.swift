import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct DiscordFetchStateTests {
    typealias Fetch = DiscordFetchState<TestInstant>

    @Test func requestIsTheApplicationRecordWithABotToken() {
        let request = Fetch.request(baseURL: "http://127.0.0.1:1/api/v10/", token: Secret("abc"), userAgent: "ua")
        #expect(request.method == "GET")
        #expect(request.url == "http://127.0.0.1:1/api/v10/applications/@me")
        #expect(request.header("Authorization") == "Bot abc")
        #expect(request.body == nil)
    }

    @Test(arguments: [
        (#"{"approximate_guild_count": 4321, "approximate_user_install_count": 9}"#, 4321),
        (#"{"approximate_guild_count": 0}"#, 0),
    ])
    func serverCountIsRead(body: String, servers: Int) {
        #expect(Fetch.servers(in: Array(body.utf8)) == .success(servers))
    }

    @Test(arguments: ["", "[]", #"{"id":"1"}"#, #"{"approximate_guild_count":"many"}"#, #"{"approximate_guild_count":-1}"#, #"{"approximate_guild_count":1.5}"#])
    func anAnswerWithoutACountIsAFailure(body: String) {
        guard case .failure = Fetch.servers(in: Array(body.utf8)) else {
            Issue.record("expected a failure for \(body)")
            return
        }
    }
}
