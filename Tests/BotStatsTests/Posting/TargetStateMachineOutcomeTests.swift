import Foundation
import Logging
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// `TargetStateMachine.record(response:…)` as a table: one answer in, the outcome the engine
/// applies out (how the post ended, what `post` callers hear, what status shows, what is logged).
@Suite struct TargetStateMachineOutcomeTests {
    typealias Machine = TargetStateMachine<TestInstant>

    static let settings = RetrySettings(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60), timeout: .seconds(5))
    static let wallNow = Date(timeIntervalSince1970: 1_700_000_000)
    static let redactor = Redactor(secrets: [Secret("list-token-123456")])

    static func machine() -> Machine {
        var m = Machine(policy: RetryPolicy(settings: settings), enabled: true, circuitCooldown: .seconds(600))
        m.trigger(version: 1)
        return m
    }

    static func answer(_ status: Int, _ headers: [(String, String)] = [], body: String = "") -> Result<TransportResponse, PostFailure> {
        .success(TransportResponse(status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(body.utf8)))
    }

    /// The date `seconds` after `wallNow`, as the log shows it.
    static func at(_ seconds: Double) -> String { RFC3339.format(wallNow.addingTimeInterval(seconds)) }

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var response: Result<TransportResponse, PostFailure>
        var resolution: Machine.Resolution?
        var answer: PostOutcome?
        var state: TargetState
        var httpStatus: Int?
        var error: String?
        var rateLimit: RateLimitWindow? = nil
        var log: [LogEntry]
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(
            name: "a 2xx delivers", response: answer(200), resolution: .delivered, answer: .delivered, state: .ok,
            httpStatus: 200, error: nil,
            log: [LogEntry(.info, "posted", metadata: ["target.state": "ok", "http.status": "200"])]),
        Row(
            name: "401 gives up at once and points at the token, which it never shows",
            response: answer(401, body: #"{"error":"bad token list-token-123456"}"#), resolution: .failed,
            answer: .failed, state: .unauthorized, httpStatus: 401,
            error: #"HTTP 401 (check the token): {"error":"bad token [redacted]"}"#,
            log: [
                LogEntry(
                    .error, "post failed; giving up until the next repost",
                    metadata: [
                        "target.state": "unauthorized", "http.status": "401",
                        "error": #"HTTP 401 (check the token): {"error":"bad token [redacted]"}"#,
                    ])
            ]),
        Row(
            name: "404 gives up and points at the bot id and base_url", response: answer(404), resolution: .failed,
            answer: .failed, state: .rejected, httpStatus: 404,
            error: "HTTP 404 (check the bot id and the provider's base_url)",
            log: [
                LogEntry(
                    .error, "post failed; giving up until the next repost",
                    metadata: [
                        "target.state": "rejected", "http.status": "404",
                        "error": "HTTP 404 (check the bot id and the provider's base_url)",
                    ])
            ]),
        Row(
            name: "a redirect is not followed", response: answer(302), resolution: .failed, answer: .failed,
            state: .rejected, httpStatus: 302, error: "HTTP 302 (redirects are not followed; check base_url)",
            log: [
                LogEntry(
                    .error, "post failed; giving up until the next repost",
                    metadata: [
                        "target.state": "rejected", "http.status": "302",
                        "error": "HTTP 302 (redirects are not followed; check base_url)",
                    ])
            ]),
        Row(
            name: "429 with a short Retry-After is retried once it has passed",
            response: answer(429, [("Retry-After", "2")]), resolution: nil, answer: nil, state: .rateLimited,
            httpStatus: 429, error: "HTTP 429",
            log: [
                LogEntry(
                    .warning, "post failed; retrying",
                    metadata: ["target.state": "rate_limited", "http.status": "429", "error": "HTTP 429", "next_attempt_at": at(2)])
            ]),
        Row(
            name: "429 asking for longer than max_delay defers the post",
            response: answer(429, [("Retry-After", "3600")]), resolution: .deferred(until: .at(3600)), answer: .deferred,
            state: .rateLimited, httpStatus: 429, error: "HTTP 429",
            log: [
                LogEntry(
                    .warning, "list asked for a long wait; post deferred",
                    metadata: ["target.state": "rate_limited", "http.status": "429", "error": "HTTP 429", "next_attempt_at": at(3600)])
            ]),
        Row(
            name: "a 5xx is retried with backoff", response: answer(503, body: "down"), resolution: nil, answer: nil,
            state: .retrying, httpStatus: 503, error: "HTTP 503: down",
            log: [
                LogEntry(
                    .warning, "post failed; retrying",
                    metadata: ["target.state": "retrying", "http.status": "503", "error": "HTTP 503: down", "next_attempt_at": at(0)])
            ]),
        Row(
            name: "a timeout is retried and says how long was waited", response: .failure(.timeout), resolution: nil,
            answer: nil, state: .retrying, httpStatus: nil, error: "no answer within 5s",
            log: [
                LogEntry(
                    .warning, "post failed; retrying",
                    metadata: ["target.state": "retrying", "error": "no answer within 5s", "next_attempt_at": at(0)])
            ]),
        Row(
            name: "a broken connection is retried, its reason made safe",
            response: .failure(.connection("reset by list-token-123456")), resolution: nil, answer: nil,
            state: .retrying, httpStatus: nil, error: "connection failed: reset by [redacted]",
            log: [
                LogEntry(
                    .warning, "post failed; retrying",
                    metadata: [
                        "target.state": "retrying", "error": "connection failed: reset by [redacted]", "next_attempt_at": at(0),
                    ])
            ]),
        Row(
            name: "the window a list reports is kept",
            response: answer(200, [("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "9"), ("X-RateLimit-Reset-After", "30")]),
            resolution: .delivered, answer: .delivered, state: .ok, httpStatus: 200, error: nil,
            rateLimit: RateLimitWindow(limit: 10, remaining: 9, resetAt: wallNow.addingTimeInterval(30)),
            log: [LogEntry(.info, "posted", metadata: ["target.state": "ok", "http.status": "200"])]),
        Row(
            name: "an unusable rate-limit value is logged before the attempt",
            response: answer(200, [("X-RateLimit-Remaining", "lots")]), resolution: .delivered, answer: .delivered,
            state: .ok, httpStatus: 200, error: nil,
            log: [
                LogEntry(
                    .debug, "Ignoring an unusable rate-limit value",
                    metadata: ["header": "x-ratelimit-remaining", "value": "lots", "reason": "malformed"]),
                LogEntry(.info, "posted", metadata: ["target.state": "ok", "http.status": "200"]),
            ]),
    ]

    @Test(arguments: rows)
    func oneAnswer(_ row: Row) {
        var m = Self.machine()
        #expect(m.nextAction(now: .at(0)) == .send(attempt: 1, version: 1))
        let outcome = m.record(response: row.response, now: .at(0), wallNow: Self.wallNow, unitRandom: 0, redactor: Self.redactor)
        #expect(outcome.resolution == row.resolution)
        #expect(outcome.answer == row.answer)
        #expect(outcome.delivered == (row.resolution == .delivered))
        #expect(outcome.httpStatus == row.httpStatus)
        #expect(outcome.error == row.error)
        #expect(outcome.rateLimit == row.rateLimit)
        #expect(outcome.log == row.log)
        #expect(outcome.persist)
        // What status shows and the state file keeps is what the outcome said.
        #expect(m.state == row.state)
        #expect(m.lastStatus == row.httpStatus)
        #expect(m.lastError == row.error)
        #expect(m.lastAttemptAt == Self.wallNow)
        #expect(m.lastSuccessAt == (row.resolution == .delivered ? Self.wallNow : nil))
        #expect(m.deliveredVersion == (row.resolution == .delivered ? 1 : 0))
        #expect(m.rateLimit == (row.rateLimit ?? RateLimitWindow()))
    }

    @Test func aRepeatedFailureIsLoggedOnceAndCountedUntilTheListRecovers() {
        var m = Self.machine()
        var levels: [String] = []
        var now = TestInstant.at(0)
        for _ in 1...3 {
            guard case .send = m.nextAction(now: now) else {
                Issue.record("expected a send at \(now)")
                return
            }
            let outcome = m.record(response: Self.answer(503), now: now, wallNow: Self.wallNow, unitRandom: 0, redactor: Self.redactor)
            levels += outcome.log.map { "\($0.level) \($0.message)" }
            now = now.advanced(by: .seconds(1))
        }
        #expect(
            levels == [
                "warning post failed; retrying",
                "debug post failed; retrying (same failure as before; not logged again)",
                "error post failed; giving up until the next repost",
            ])
        m.trigger(version: 2)
        #expect(m.nextAction(now: now) == .send(attempt: 1, version: 2))
        let recovered = m.record(response: Self.answer(200), now: now, wallNow: Self.wallNow, unitRandom: 0, redactor: Self.redactor)
        #expect(
            recovered.log == [
                LogEntry(
                    .notice, "posted again after failures",
                    metadata: ["target.state": "ok", "http.status": "200", "failures.unlogged": "0"])
            ])
    }

    @Test func aDryRunAnswersWithoutRecordingAPost() {
        var m = Self.machine()
        _ = m.nextAction(now: .at(0))
        let outcome = m.recordNotSent(wallNow: Self.wallNow)
        #expect(outcome == Machine.Outcome(resolution: nil, answer: .dryRun, delivered: false, log: [], persist: false))
        #expect(m.state == .pending)
        #expect(m.postsTotal == 0)
        #expect(m.lastAttemptAt == Self.wallNow)
        #expect(m.nextAction(now: .at(1)) == .idle)
    }

    @Test func anAnswerWithNothingInFlightChangesNothing() {
        var m = Self.machine()
        let outcome = m.record(response: Self.answer(200), now: .at(0), wallNow: Self.wallNow, unitRandom: 0, redactor: Self.redactor)
        #expect(outcome == Machine.Outcome(resolution: nil, answer: nil, delivered: false, log: [], persist: false))
        #expect(m.postsTotal == 0)
        #expect(m.lastAttemptAt == nil)
    }

    /// The state file is written from the machine and read back into one: nothing is lost.
    @Test func whatIsPersistedRestoresTheSameTarget() {
        var m = Self.machine()
        _ = m.nextAction(now: .at(0))
        _ = m.record(
            response: Self.answer(429, [("Retry-After", "3600"), ("X-RateLimit-Limit", "5")], body: "slow down"), now: .at(0),
            wallNow: Self.wallNow, unitRandom: 0, redactor: Self.redactor)
        let saved = m.persisted(now: .at(10), wallNow: Self.wallNow.addingTimeInterval(10))
        #expect(saved.notBefore == Self.wallNow.addingTimeInterval(3600))
        #expect(saved.failureClasses == ["429": 1])
        var restored = Machine(policy: RetryPolicy(settings: Self.settings), enabled: true)
        restored.restore(saved, now: .at(100), wallNow: Self.wallNow.addingTimeInterval(10))
        #expect(restored.persisted(now: .at(100), wallNow: Self.wallNow.addingTimeInterval(10)) == saved)
        #expect(restored.notBefore == .at(100 + 3590))
    }
}
