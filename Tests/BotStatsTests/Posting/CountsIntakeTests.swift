import Foundation
import Testing

@testable import BotStats

@Suite struct CountsIntakeTests {
    let now = Date(timeIntervalSince1970: 2_000_000_000)

    func apply(_ update: CountsUpdate, _ bot: inout PersistedBot) throws -> CountsIntake.Outcome {
        try CountsIntake.apply(update, to: &bot, dropGuard: 0.5, now: now)
    }

    @Test func theTotalIsTheExactSumOnceEveryShardHasReported() throws {
        var bot = PersistedBot(id: "1")
        for shard in 0..<7 {
            #expect(try apply(CountsUpdate(servers: 100 + shard, users: 10, shardID: shard, shardCount: 8), &bot)
                == .waitingForShards(reported: shard + 1, of: 8))
        }
        #expect(bot.counts == nil)
        guard case .accepted(let counts) = try apply(CountsUpdate(servers: 107, users: 10, shardID: 7, shardCount: 8), &bot) else {
            Issue.record("expected the total")
            return
        }
        #expect(counts.servers == (100...107).reduce(0, +))
        #expect(counts.users == 80)
        #expect(counts.shards == 8)
        // A shard reporting again replaces its own share only.
        guard case .accepted(let again) = try apply(CountsUpdate(servers: 200, shardID: 0, shardCount: 8), &bot) else {
            Issue.record("expected the total")
            return
        }
        #expect(again.servers == counts.servers - 100 + 200)
        #expect(again.users == nil)
    }

    @Test func aSmallerShardCountDropsTheShardsBeyondIt() throws {
        var bot = PersistedBot(id: "1")
        for shard in 0..<4 { _ = try apply(CountsUpdate(servers: 10, shardID: shard, shardCount: 4), &bot) }
        _ = try apply(CountsUpdate(servers: 10, shardID: 0, shardCount: 2), &bot)
        #expect(bot.shardReports?.keys.sorted() == ["0", "1"])
        #expect(bot.counts?.servers == 20)
        #expect(bot.counts?.shards == 2)
    }

    @Test func shardIDMustBeBelowTheCount() {
        var bot = PersistedBot(id: "1")
        #expect(throws: ControlError.self) { try apply(CountsUpdate(servers: 1, shardID: 4, shardCount: 4), &bot) }
        #expect(throws: ControlError.self) { try apply(CountsUpdate(servers: 1, shardID: 0, shardCount: 0), &bot) }
    }

    @Test func aHalfStartedBotsDropIsHeldBackWhileItRises() throws {
        var bot = PersistedBot(id: "1")
        _ = try apply(CountsUpdate(servers: 1000), &bot)
        guard case .held(let held) = try apply(CountsUpdate(servers: 100), &bot) else {
            Issue.record("expected held")
            return
        }
        #expect(held.reason.contains("fell from 1000 to 100"))
        #expect(bot.counts?.servers == 1000)
        // Still starting: rising totals stay held.
        guard case .held = try apply(CountsUpdate(servers: 300), &bot) else {
            Issue.record("a rising total must stay held")
            return
        }
        // Back to normal: accepted, the hold is gone.
        #expect(try apply(CountsUpdate(servers: 990), &bot) == .accepted(BotCounts(servers: 990, updatedAt: now)))
        #expect(bot.held == nil)
    }

    @Test func aLaterUpdateThatIsAsLowConfirmsTheDrop() throws {
        var bot = PersistedBot(id: "1")
        _ = try apply(CountsUpdate(servers: 1000), &bot)
        _ = try apply(CountsUpdate(servers: 300), &bot)
        #expect(try apply(CountsUpdate(servers: 290), &bot) == .accepted(BotCounts(servers: 290, updatedAt: now)))
    }

    @Test func forceBypassesTheGuardAndZeroNeedsIt() throws {
        var bot = PersistedBot(id: "1")
        _ = try apply(CountsUpdate(servers: 1000), &bot)
        #expect(try apply(CountsUpdate(servers: 10, force: true), &bot) == .accepted(BotCounts(servers: 10, updatedAt: now)))
        guard case .held(let zero) = try apply(CountsUpdate(servers: 0), &bot) else {
            Issue.record("zero must be held")
            return
        }
        #expect(zero.reason.contains("--force"))
        guard case .held = try apply(CountsUpdate(servers: 0), &bot) else {
            Issue.record("zero is never confirmed by repetition")
            return
        }
        #expect(try apply(CountsUpdate(servers: 0, force: true), &bot) == .accepted(BotCounts(servers: 0, updatedAt: now)))
    }

    @Test func theFirstCountsAreNeverHeldUnlessZero() throws {
        var bot = PersistedBot(id: "1")
        #expect(try apply(CountsUpdate(servers: 3), &bot) == .accepted(BotCounts(servers: 3, updatedAt: now)))
    }
}
