import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(settings: RetrySettings(maxAttempts: 5, baseDelay: .seconds(1), maxDelay: .seconds(60)))

    @Test(arguments: [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (20, 60), (100, 60), (Int.max, 60)])
    func backoffCeilingDoublesUpToMaxDelay(attempts: Int, seconds: Int) {
        #expect(policy.backoffCeiling(afterFailedAttempts: attempts) == .seconds(seconds))
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.999, 1.0, -3.0, 7.0, Double.nan, Double.infinity])
    func jitteredDelayIsNeverNegativeNorAboveTheCeiling(random: Double) {
        for attempts in 1...40 {
            let delay = policy.delay(afterFailedAttempts: attempts, floor: nil, unitRandom: random)
            #expect(delay >= .zero)
            #expect(delay <= policy.backoffCeiling(afterFailedAttempts: attempts))
            #expect(delay <= .seconds(60))
        }
    }

    @Test func fullJitterSpansZeroToTheCeiling() {
        #expect(policy.delay(afterFailedAttempts: 3, floor: nil, unitRandom: 0) == .zero)
        #expect(policy.delay(afterFailedAttempts: 3, floor: nil, unitRandom: 0.5) == .seconds(2))
        #expect(policy.delay(afterFailedAttempts: 3, floor: nil, unitRandom: 1) == .seconds(4))
    }

    @Test func retryAfterIsAFloorUnderTheBackoff() {
        #expect(policy.delay(afterFailedAttempts: 1, floor: .seconds(30), unitRandom: 0) == .seconds(30))
        #expect(policy.delay(afterFailedAttempts: 1, floor: .seconds(30), unitRandom: 1) == .seconds(30))
        // A floor below the jittered wait does not shorten it.
        #expect(policy.delay(afterFailedAttempts: 6, floor: .seconds(2), unitRandom: 1) == .seconds(32))
    }

    @Test func hugeBaseDelayDoesNotOverflow() {
        let policy = RetryPolicy(settings: RetrySettings(baseDelay: .seconds(Int64.max / 4), maxDelay: .seconds(900)))
        #expect(policy.backoffCeiling(afterFailedAttempts: 10) == .seconds(900))
    }

    @Test(arguments: [408, 425, 429, 500, 502, 503, 504])
    func transientStatusesAreRetried(status: Int) {
        #expect(RetryPolicy.isRetryable(.status(status)))
    }

    /// Cloudflare's 520–524 (origin unreachable, timed out, TLS failed), 530, and the rest of the 5xx
    /// range are a server's trouble, not a verdict on the request.
    @Test(arguments: [506, 507, 508, 509, 510, 511, 520, 521, 522, 523, 524, 525, 526, 527, 529, 530, 598, 599])
    func everyOtherServerErrorIsRetried(status: Int) {
        #expect(RetryPolicy.isRetryable(.status(status)))
    }

    /// 501 Not Implemented and 505 HTTP Version Not Supported say the request can never succeed.
    @Test(arguments: [501, 505])
    func permanentServerErrorsAreNotRetried(status: Int) {
        #expect(!RetryPolicy.isRetryable(.status(status)))
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 410, 413, 422, 301, 302, 100, 199, 600, 999, 0, -1])
    func clientErrorsAndOddStatusesAreNotRetried(status: Int) {
        #expect(!RetryPolicy.isRetryable(.status(status)))
    }

    @Test func timeoutsAndConnectionErrorsAreRetried() {
        #expect(RetryPolicy.isRetryable(.timeout))
        #expect(RetryPolicy.isRetryable(.connection("reset")))
    }

    struct DecisionRow: Sendable, CustomTestStringConvertible {
        var name: String
        var retryable: Bool
        var failedAttempts: Int
        var serverWait: Duration?
        var decision: RetryPolicy.Decision
        var testDescription: String { name }
    }

    /// The one decision posts and the Discord fetch share (max_attempts 5, max_delay 60 s,
    /// jitter at its ceiling).
    static let decisions: [DecisionRow] = [
        DecisionRow(name: "retryable, attempts left: backoff", retryable: true, failedAttempts: 2, serverWait: nil, decision: .retry(after: .seconds(2))),
        DecisionRow(name: "the list's wait is a floor", retryable: true, failedAttempts: 1, serverWait: .seconds(30), decision: .retry(after: .seconds(30))),
        DecisionRow(name: "a wait of zero asks for nothing", retryable: true, failedAttempts: 1, serverWait: .zero, decision: .retry(after: .seconds(1))),
        DecisionRow(
            name: "a wait of exactly max_delay is still retried", retryable: true, failedAttempts: 1, serverWait: .seconds(60),
            decision: .retry(after: .seconds(60))),
        DecisionRow(name: "a wait beyond max_delay defers", retryable: true, failedAttempts: 1, serverWait: .seconds(61), decision: .deferred(.seconds(61))),
        DecisionRow(
            name: "deferring does not need attempts left", retryable: true, failedAttempts: 5, serverWait: .seconds(3600), decision: .deferred(.seconds(3600))),
        DecisionRow(name: "attempts used up: give up", retryable: true, failedAttempts: 5, serverWait: .seconds(10), decision: .giveUp),
        DecisionRow(name: "not retryable: give up", retryable: false, failedAttempts: 1, serverWait: nil, decision: .giveUp),
        DecisionRow(name: "not retryable, even with a long wait", retryable: false, failedAttempts: 1, serverWait: .seconds(3600), decision: .giveUp),
    ]

    @Test(arguments: decisions)
    func decision(_ row: DecisionRow) {
        #expect(
            policy.decision(
                retryable: row.retryable, failedAttempts: row.failedAttempts, serverWait: row.serverWait, unitRandom: 1) == row.decision)
    }
}
