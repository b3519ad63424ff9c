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
}
