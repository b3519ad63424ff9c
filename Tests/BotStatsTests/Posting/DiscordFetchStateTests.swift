import Foundation
import Logging
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

    @Test(arguments: [
        "", "[]", #"{"id":"1"}"#, #"{"approximate_guild_count":"many"}"#, #"{"approximate_guild_count":-1}"#, #"{"approximate_guild_count":1.5}"#,
    ])
    func anAnswerWithoutACountIsAFailure(body: String) {
        guard case .failure = Fetch.servers(in: Array(body.utf8)) else {
            Issue.record("expected a failure for \(body)")
            return
        }
    }

    // MARK: - Recording an answer

    static let policy = RetryPolicy(
        settings: RetrySettings(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60), timeout: .seconds(5)))
    static let wallNow = Date(timeIntervalSince1970: 1_700_000_000)
    static let redactor = Redactor(secrets: [Secret("discord-token-123456")])

    static func answer(_ status: Int, _ headers: [(String, String)] = [], body: String = "") -> Result<TransportResponse, PostFailure> {
        .success(TransportResponse(status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(body.utf8)))
    }

    static func retrying(_ error: String) -> [LogEntry] {
        [LogEntry(.debug, "Discord fetch failed; retrying", metadata: ["error": error])]
    }

    static func keeping(_ error: String) -> [LogEntry] {
        [LogEntry(.error, "could not fetch counts from Discord; keeping the last counts", metadata: ["error": error])]
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var response: Result<TransportResponse, PostFailure>
        var next: Fetch.Outcome.Next
        var error: String?
        var log: [LogEntry]
        /// When the next fetch may go out, seen from the moment of the answer.
        var heldUntil: TestInstant?
        var testDescription: String { name }
    }

    /// One answer to a first fetch; the retry rules are `RetryPolicy.decision`'s, as for a post.
    static let rows: [Row] = [
        Row(
            name: "a count is taken", response: answer(200, body: #"{"approximate_guild_count": 4321}"#),
            next: .counts(4321), error: nil, log: [], heldUntil: nil),
        Row(
            name: "401 is not retried and points at discord_token", response: answer(401),
            next: .keepLastCounts, error: "Discord answered HTTP 401 (check discord_token)",
            log: keeping("Discord answered HTTP 401 (check discord_token)"), heldUntil: nil),
        Row(
            name: "a 5xx is retried with backoff", response: answer(503), next: .retry(at: .at(0)),
            error: "Discord answered HTTP 503", log: retrying("Discord answered HTTP 503"), heldUntil: .at(0)),
        Row(
            name: "429 is retried once Discord's wait has passed", response: answer(429, [("Retry-After", "2")]),
            next: .retry(at: .at(2)), error: "Discord answered HTTP 429", log: retrying("Discord answered HTTP 429"),
            heldUntil: .at(2)),
        Row(
            name: "429 asking for longer than max_delay keeps the last counts and holds the next fetch",
            response: answer(429, [("Retry-After", "3600")]), next: .keepLastCounts, error: "Discord answered HTTP 429",
            log: keeping("Discord answered HTTP 429"), heldUntil: .at(3600)),
        Row(
            name: "a timeout is retried", response: .failure(.timeout), next: .retry(at: .at(0)),
            error: "Discord did not answer in time", log: retrying("Discord did not answer in time"), heldUntil: .at(0)),
        Row(
            name: "a broken connection is retried, its reason made safe",
            response: .failure(.connection("reset by discord-token-123456")), next: .retry(at: .at(0)),
            error: #"cannot reach Discord: connection("reset by [redacted]")"#,
            log: retrying(#"cannot reach Discord: connection("reset by [redacted]")"#), heldUntil: .at(0)),
    ]

    @Test(arguments: rows)
    func oneAnswer(_ row: Row) {
        var fetch = Fetch()
        let outcome = fetch.record(
            response: row.response, now: .at(0), wallNow: Self.wallNow, policy: Self.policy, unitRandom: 0,
            redactor: Self.redactor)
        #expect(outcome == Fetch.Outcome(next: row.next, error: row.error, log: row.log))
        #expect(fetch.lastError == row.error)
        #expect(fetch.lastFetchAt == Self.wallNow)
        #expect(fetch.notBefore == row.heldUntil)
    }

    @Test func a2xxWithoutACountKeepsTheLastCountsWithoutRetrying() throws {
        var fetch = Fetch()
        let body = Array(#"{"id":"1"}"#.utf8)
        guard case .failure(let failure) = Fetch.servers(in: body) else {
            Issue.record("expected no count in \(body)")
            return
        }
        let outcome = fetch.record(
            response: .success(TransportResponse(status: 200, headers: [], body: body)), now: .at(0), wallNow: Self.wallNow,
            policy: Self.policy, unitRandom: 0, redactor: Self.redactor)
        #expect(outcome == Fetch.Outcome(next: .keepLastCounts, error: failure.message, log: Self.keeping(failure.message)))
        #expect(fetch.failedAttempts == 0)
    }

    @Test func failedFetchesAreRetriedUpToMaxAttemptsThenTheLastCountsGoOut() {
        var fetch = Fetch()
        var nexts: [Fetch.Outcome.Next] = []
        for second in [0.0, 1, 3] {
            let now = TestInstant.at(second)
            #expect(fetch.heldUntil(now: now) == nil)
            nexts.append(
                fetch.record(
                    response: Self.answer(500), now: now, wallNow: Self.wallNow, policy: Self.policy, unitRandom: 1,
                    redactor: Self.redactor
                ).next)
        }
        // Full jitter at its ceiling: 1 s, then 2 s; the third failure uses up max_attempts.
        #expect(nexts == [.retry(at: .at(1)), .retry(at: .at(3)), .keepLastCounts])
        #expect(fetch.failedAttempts == 0)
        #expect(fetch.heldUntil(now: .at(3)) == nil)
        #expect(fetch.lastError == "Discord answered HTTP 500")
    }

    @Test func aCountAfterFailuresClearsTheError() {
        var fetch = Fetch()
        _ = fetch.record(
            response: .failure(.timeout), now: .at(0), wallNow: Self.wallNow, policy: Self.policy, unitRandom: 0,
            redactor: Self.redactor)
        let outcome = fetch.record(
            response: Self.answer(200, body: #"{"approximate_guild_count": 7}"#), now: .at(1), wallNow: Self.wallNow,
            policy: Self.policy, unitRandom: 0, redactor: Self.redactor)
        #expect(outcome.next == .counts(7))
        #expect(fetch.lastError == nil)
        #expect(fetch.failedAttempts == 0)
    }
}
