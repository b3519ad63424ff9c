import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct TargetStateMachineTests {
    typealias Machine = TargetStateMachine<TestInstant>
    static let settings = RetrySettings(maxAttempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60))

    func machine(enabled: Bool = true) -> Machine {
        Machine(policy: RetryPolicy(settings: Self.settings), enabled: enabled, circuitCooldown: .seconds(600))
    }

    @Test func idleUntilTriggeredThenSendsOnce() {
        var m = machine()
        #expect(m.nextAction(now: .at(0)) == .idle)
        m.trigger(version: 1)
        #expect(m.state == .pending)
        #expect(m.nextAction(now: .at(0)) == .send(attempt: 1, version: 1))
        // While a request is in flight nothing else is sent.
        #expect(m.nextAction(now: .at(0)) == .idle)
        #expect(m.record(failure: nil, requiredWait: nil, now: .at(1), unitRandom: 0) == .delivered)
        #expect(m.state == .ok)
        #expect(m.nextAction(now: .at(2)) == .idle)
    }

    @Test func updatesDuringAFlightAreCoalescedIntoOneFollowUp() {
        var m = machine()
        m.trigger(version: 1)
        #expect(m.nextAction(now: .at(0)) == .send(attempt: 1, version: 1))
        m.trigger(version: 2)
        m.trigger(version: 3)
        _ = m.record(failure: nil, requiredWait: nil, now: .at(1), unitRandom: 0)
        #expect(m.state == .pending)
        #expect(m.nextAction(now: .at(1)) == .send(attempt: 1, version: 3))
        _ = m.record(failure: nil, requiredWait: nil, now: .at(2), unitRandom: 0)
        #expect(m.nextAction(now: .at(2)) == .idle)
    }

    @Test func retryAfterOn429IsHonouredBeforeTheNextAttempt() {
        var m = machine()
        m.trigger(version: 1)
        _ = m.nextAction(now: .at(0))
        #expect(m.record(failure: .status(429), requiredWait: .seconds(2), now: .at(0), unitRandom: 0) == nil)
        #expect(m.state == .rateLimited)
        #expect(m.nextAction(now: .at(1.9)) == .wait(until: .at(2)))
        #expect(m.nextAction(now: .at(2)) == .send(attempt: 2, version: 1))
        #expect(m.retriesTotal == 1)
    }

    @Test func exhaustedWindowAfterSuccessHoldsTheNextPost() {
        var m = machine()
        m.trigger(version: 1)
        _ = m.nextAction(now: .at(0))
        _ = m.record(failure: nil, requiredWait: .seconds(30), now: .at(0), unitRandom: 0)
        #expect(m.state == .ok)
        m.trigger(version: 2)
        #expect(m.nextAction(now: .at(10)) == .wait(until: .at(30)))
        #expect(m.state == .rateLimited)
        #expect(m.nextAction(now: .at(30)) == .send(attempt: 1, version: 2))
    }

    @Test func waitLongerThanMaxDelayDefersThePostWithoutUsingAttempts() {
        var m = machine()
        m.trigger(version: 1)
        _ = m.nextAction(now: .at(0))
        #expect(m.record(failure: .status(429), requiredWait: .seconds(3600), now: .at(0), unitRandom: 0) == .deferred(until: .at(3600)))
        #expect(m.state == .rateLimited)
        #expect(m.failedAttempts == 0)
        #expect(m.nextAction(now: .at(100)) == .wait(until: .at(3600)))
        #expect(m.nextAction(now: .at(3600)) == .send(attempt: 1, version: 1))
    }

    @Test(arguments: [(401, TargetState.unauthorized), (403, .unauthorized), (400, .rejected), (404, .rejected), (422, .rejected)])
    func clientErrorsEndThePostWithoutRetry(status: Int, state: TargetState) {
        var m = machine()
        m.trigger(version: 1)
        _ = m.nextAction(now: .at(0))
        #expect(m.record(failure: .status(status), requiredWait: nil, now: .at(0), unitRandom: 0) == .failed)
        #expect(m.state == state)
        #expect(m.retriesTotal == 0)
        #expect(m.nextAction(now: .at(100)) == .idle)
        // The next repost or set tries again.
        m.trigger(version: 1)
        #expect(m.nextAction(now: .at(3600)) == .send(attempt: 1, version: 1))
    }

    @Test func transientFailuresAreRetriedUpToMaxAttemptsThenGivenUp() {
        var m = machine()
        m.trigger(version: 1)
        var now = TestInstant.at(0)
        for attempt in 1...3 {
            #expect(m.nextAction(now: now) == .send(attempt: attempt, version: 1))
            let resolution = m.record(failure: .status(503), requiredWait: nil, now: now, unitRandom: 1)
            if attempt < 3 {
                #expect(resolution == nil)
                #expect(m.state == .retrying)
                guard case .wait(let until) = m.nextAction(now: now) else {
                    Issue.record("expected a backoff wait")
                    return
                }
                #expect(now.duration(to: until) == .seconds(1 << (attempt - 1)))
                now = until
            } else {
                #expect(resolution == .failed)
            }
        }
        #expect(m.state == .retrying)
        #expect(m.consecutiveFailures == 1)
        #expect(m.nextAction(now: now.advanced(by: .seconds(10))) == .idle)
    }

    @Test func circuitOpensAfterFiveFailedPostsAndProbesOnceAfterCooldown() {
        var m = machine()
        var now = TestInstant.at(0)
        for _ in 1...5 {
            m.trigger(version: 1)
            _ = m.nextAction(now: now)
            #expect(m.record(failure: .status(401), requiredWait: nil, now: now, unitRandom: 0) == .failed)
            now = now.advanced(by: .seconds(1))
        }
        #expect(m.state == .circuitOpen)
        m.trigger(version: 2)
        #expect(m.state == .circuitOpen)
        #expect(m.nextAction(now: now) == .wait(until: .at(4 + 600)))
        #expect(m.nextAction(now: .at(604)) == .send(attempt: 1, version: 2))
        // A failed probe keeps the circuit open for another cooldown.
        #expect(m.record(failure: .status(500), requiredWait: nil, now: .at(604), unitRandom: 0) == .failed)
        #expect(m.state == .circuitOpen)
        #expect(m.nextAction(now: .at(605)) == .wait(until: .at(1204)))
        #expect(m.nextAction(now: .at(1204)) == .send(attempt: 1, version: 2))
        #expect(m.record(failure: nil, requiredWait: nil, now: .at(1205), unitRandom: 0) == .delivered)
        #expect(m.state == .ok)
        #expect(m.consecutiveFailures == 0)
    }

    @Test func disabledTargetNeverSends() {
        var m = machine(enabled: false)
        m.trigger(version: 1)
        #expect(m.state == .disabled)
        #expect(m.nextAction(now: .at(0)) == .idle)
    }

    @Test func restoredCooldownIsHonoured() {
        var m = machine()
        m.restore(state: .rateLimited, consecutiveFailures: 0, notBefore: .at(500), postsTotal: 3, failuresTotal: 1, retriesTotal: 1)
        m.trigger(version: 4)
        #expect(m.nextAction(now: .at(0)) == .wait(until: .at(500)))
        #expect(m.postsTotal == 3)
    }

    @Test func countersTrackAttemptsFailuresAndRetries() {
        var m = machine()
        m.trigger(version: 1)
        _ = m.nextAction(now: .at(0))
        _ = m.record(failure: .timeout, requiredWait: nil, now: .at(0), unitRandom: 0)
        _ = m.nextAction(now: .at(0))
        _ = m.record(failure: nil, requiredWait: nil, now: .at(0), unitRandom: 0)
        #expect(m.postsTotal == 2)
        #expect(m.failuresTotal == 1)
        #expect(m.retriesTotal == 1)
    }
}
