import Foundation
import Logging
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Counting on from values a state file gave never traps: `+ 1` on a loaded counter, version or
/// shard share saturates. The loader keeps them far from the top; these hold even without it.
@Suite struct LoadedValueArithmeticTests {
    typealias Machine = TargetStateMachine<TestInstant>

    func machine(restoring value: Int, failures: Int? = nil) -> Machine {
        var machine = Machine(
            policy: RetryPolicy(settings: RetrySettings(maxAttempts: 2, baseDelay: .seconds(1), maxDelay: .seconds(60))),
            enabled: true, circuitCooldown: .seconds(600))
        machine.restore(
            state: .ok, consecutiveFailures: failures ?? value, notBefore: nil, postsTotal: value, failuresTotal: value,
            retriesTotal: value)
        return machine
    }

    @Test(arguments: [Int.max, Int.max - 1, Int.min])
    func aRestoredMachineCountsOnWithoutTrapping(value: Int) {
        var m = machine(restoring: value)
        let expected = value < 0 ? 1 : Int.max
        m.trigger(version: 1)
        #expect(m.nextAction(now: .at(0)) == .send(attempt: 1, version: 1))
        #expect(m.record(failure: .status(500), requiredWait: nil, now: .at(0), unitRandom: 0) == nil)
        #expect(m.nextAction(now: .at(10)) == .send(attempt: 2, version: 1))
        #expect(m.record(failure: .status(500), requiredWait: nil, now: .at(10), unitRandom: 0) == .failed)
        m.trigger(version: 2)
        #expect(m.nextAction(now: .at(700)) == .send(attempt: 1, version: 2))
        #expect(m.record(failure: nil, requiredWait: nil, now: .at(700), unitRandom: 0) == .delivered)
        #expect(m.postsTotal == (value < 0 ? 3 : Int.max))
        #expect(m.failuresTotal == (value < 0 ? 2 : Int.max))
        #expect(m.retriesTotal == expected)
        #expect(m.consecutiveFailures == 0)
    }

    @Test func aFailureStreakAtIntMaxStaysThere() {
        var m = machine(restoring: 0, failures: Int.max)
        m.trigger(version: 1)
        _ = m.nextAction(now: .at(0))
        #expect(m.record(failure: .status(400), requiredWait: nil, now: .at(0), unitRandom: 0) == .failed)
        #expect(m.consecutiveFailures == Int.max)
        #expect(m.state == .circuitOpen)
    }

    @Test func aCountsVersionAtTheTopStaysThere() throws {
        var bot = PersistedBot(id: "1", countsVersion: .max)
        let outcome = try CountsIntake.apply(
            CountsUpdate(servers: 5), to: &bot, dropGuard: 0.5, repostInterval: .seconds(3600), now: Date(timeIntervalSince1970: 0))
        #expect(outcome == .accepted(BotCounts(servers: 5, updatedAt: Date(timeIntervalSince1970: 0))))
        #expect(bot.countsVersion == .max)
    }

    @Test func shardSharesAtIntMaxSumWithoutTrapping() throws {
        var bot = PersistedBot(id: "1")
        bot.shardCount = 2
        var report = ShardReport(servers: .max, users: .max, updatedAt: Date(timeIntervalSince1970: 0))
        report.goodServers = .max
        bot.shardReports = ["0": report]
        let outcome = try CountsIntake.apply(
            CountsUpdate(servers: 10, users: 10, shardID: 1, shardCount: 2, force: true), to: &bot, dropGuard: 0.5,
            repostInterval: .seconds(3600), now: Date(timeIntervalSince1970: 0))
        guard case .accepted(let counts) = outcome else {
            Issue.record("expected the total, got \(outcome)")
            return
        }
        #expect(counts.servers == .max)
        #expect(counts.users == .max)
    }

    @Test func addSaturatingStopsAtBothEnds() {
        var top = Int.max - 1
        top.addSaturating(5)
        #expect(top == .max)
        var bottom = Int.min + 1
        bottom.addSaturating(-5)
        #expect(bottom == .min)
        var middle = 40
        middle.addSaturating(2)
        #expect(middle == 42)
    }
}
