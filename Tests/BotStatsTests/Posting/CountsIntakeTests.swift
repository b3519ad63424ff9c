import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct CountsIntakeTests {
    let now = Date(timeIntervalSince1970: 2_000_000_000)

    func apply(_ update: CountsUpdate, _ bot: inout PersistedBot, at time: Date? = nil) throws -> CountsIntake.Outcome {
        try CountsIntake.apply(update, to: &bot, dropGuard: 0.5, repostInterval: .seconds(3600), now: time ?? now)
    }

    /// Eight shards reporting 100…107: a total of 828.
    func eightShards() throws -> PersistedBot {
        var bot = PersistedBot(id: "1")
        for shard in 0..<8 { _ = try apply(CountsUpdate(servers: 100 + shard, shardID: shard, shardCount: 8), &bot) }
        #expect(bot.counts?.servers == 828)
        return bot
    }

    func isHeld(_ outcome: CountsIntake.Outcome) -> Bool {
        if case .held = outcome { return true }
        return false
    }

    @Test func theTotalIsTheExactSumOnceEveryShardHasReported() throws {
        var bot = PersistedBot(id: "1")
        for shard in 0..<7 {
            #expect(
                try apply(CountsUpdate(servers: 100 + shard, users: 10, shardID: shard, shardCount: 8), &bot)
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

    // MARK: - Collapses in stages

    /// Shards restarting one after another and reporting 0: every step is less than half below the step
    /// before, but the collapse as a whole is not, and each shard's share fell far below its own.
    @Test func shardsCollapsingOneAfterAnotherAreHeldLikeOneCollapse() throws {
        var bot = try eightShards()
        var accepted: [Int] = []
        var held: [HeldCounts] = []
        for shard in 0..<8 {
            switch try apply(CountsUpdate(servers: 0, shardID: shard, shardCount: 8), &bot) {
            case .accepted(let counts): accepted.append(counts.servers)
            case .held(let h): held.append(h)
            case .waitingForShards: Issue.record("every shard has reported")
            }
        }
        // Half of 828 is 414: the dip to 422 may pass, everything below is held.
        #expect(accepted == [728, 627, 525, 422])
        #expect(held.map(\.counts.servers) == [318, 213, 107, 0])
        #expect(held.first?.reason.contains("fell from 828 to 318") == true, "\(held)")
        #expect(bot.counts?.servers == 422)
    }

    @Test func aRollingRestartsBriefDipsPass() throws {
        var bot = try eightShards()
        for shard in 0..<8 {
            #expect(
                try apply(CountsUpdate(servers: 0, shardID: shard, shardCount: 8), &bot)
                    == .accepted(BotCounts(servers: 828 - 100 - shard, shards: 8, updatedAt: now)))
            #expect(
                try apply(CountsUpdate(servers: 100 + shard, shardID: shard, shardCount: 8), &bot)
                    == .accepted(BotCounts(servers: 828, shards: 8, updatedAt: now)))
        }
        #expect(bot.held == nil)
    }

    @Test func collapsedShardsConfirmTheirOwnDropByReportingItAgain() throws {
        var bot = try eightShards()
        for shard in 0..<5 { _ = try apply(CountsUpdate(servers: 0, shardID: shard, shardCount: 8), &bot) }
        #expect(bot.held?.counts.servers == 318)
        // Another shard's low report is no confirmation of this one's.
        #expect(isHeld(try apply(CountsUpdate(servers: 0, shardID: 0, shardCount: 8), &bot)))
        // Once enough collapsed shards have said it twice, the total is what the bot really has.
        #expect(
            try apply(CountsUpdate(servers: 0, shardID: 1, shardCount: 8), &bot)
                == .accepted(BotCounts(servers: 318, shards: 8, updatedAt: now)))
        #expect(bot.held == nil)
        // The other collapsed shards confirming theirs changes nothing more.
        #expect(
            try apply(CountsUpdate(servers: 0, shardID: 2, shardCount: 8), &bot)
                == .accepted(BotCounts(servers: 318, shards: 8, updatedAt: now)))
    }

    @Test func aForcedShardReportTakesEveryShareAsGood() throws {
        var bot = try eightShards()
        for shard in 0..<5 { _ = try apply(CountsUpdate(servers: 0, shardID: shard, shardCount: 8), &bot) }
        #expect(
            try apply(CountsUpdate(servers: 0, shardID: 4, shardCount: 8, force: true), &bot)
                == .accepted(BotCounts(servers: 318, shards: 8, updatedAt: now)))
        #expect(
            try apply(CountsUpdate(servers: 100, shardID: 7, shardCount: 8), &bot)
                == .accepted(BotCounts(servers: 311, shards: 8, updatedAt: now)))
    }

    @Test func aTotalFallingInStagesIsJudgedAgainstTheHighestWithinTheRepostInterval() throws {
        var bot = PersistedBot(id: "1")
        _ = try apply(CountsUpdate(servers: 1000), &bot, at: now)
        #expect(
            try apply(CountsUpdate(servers: 600), &bot, at: now + 600)
                == .accepted(BotCounts(servers: 600, updatedAt: now + 600)))
        // 400 is not half below 600, but it is below half of the 1000 posted ten minutes earlier.
        guard case .held(let held) = try apply(CountsUpdate(servers: 400), &bot, at: now + 1200) else {
            Issue.record("a staged fall must be held")
            return
        }
        #expect(held.reason.contains("fell from 1000 to 400"))
        // Confirmed like a single fall; after that the new level is the reference, so nothing flaps.
        #expect(
            try apply(CountsUpdate(servers: 390), &bot, at: now + 1800)
                == .accepted(BotCounts(servers: 390, updatedAt: now + 1800)))
        #expect(
            try apply(CountsUpdate(servers: 395), &bot, at: now + 1900)
                == .accepted(BotCounts(servers: 395, updatedAt: now + 1900)))
    }

    @Test func totalsOlderThanTheRepostIntervalNoLongerCount() throws {
        var bot = PersistedBot(id: "1")
        _ = try apply(CountsUpdate(servers: 1000), &bot, at: now)
        _ = try apply(CountsUpdate(servers: 600), &bot, at: now + 600)
        // Two hours later only the last posted total is the reference (the repost interval is 1 h).
        #expect(
            try apply(CountsUpdate(servers: 400), &bot, at: now + 7200)
                == .accepted(BotCounts(servers: 400, updatedAt: now + 7200)))
    }

    @Test func aStateFileWrittenBeforeTheStagedGuardStillLoadsAndIsGuarded() throws {
        let json = #"""
            {"id":"1","counts":{"servers":828,"shards":8,"updated_at":"2033-05-18T03:33:20Z"},"counts_version":3,
             "targets":{},"shard_count":8,"shard_reports":{
              "0":{"servers":100,"updated_at":"2033-05-18T03:33:20Z"},"1":{"servers":101,"updated_at":"2033-05-18T03:33:20Z"},
              "2":{"servers":102,"updated_at":"2033-05-18T03:33:20Z"},"3":{"servers":103,"updated_at":"2033-05-18T03:33:20Z"},
              "4":{"servers":104,"updated_at":"2033-05-18T03:33:20Z"},"5":{"servers":105,"updated_at":"2033-05-18T03:33:20Z"},
              "6":{"servers":106,"updated_at":"2033-05-18T03:33:20Z"},"7":{"servers":107,"updated_at":"2033-05-18T03:33:20Z"}}}
            """#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .rfc3339
        var bot = try decoder.decode(PersistedBot.self, from: Data(json.utf8))
        #expect(bot.counts?.servers == 828)
        // Without stored shares the last posted total is the reference, as before.
        #expect(isHeld(try apply(CountsUpdate(servers: 0, shardID: 0, shardCount: 8), &bot)) == false)
        var held = false
        for shard in 1..<8 where isHeld(try apply(CountsUpdate(servers: 0, shardID: shard, shardCount: 8), &bot)) {
            held = true
        }
        #expect(held)
        #expect(bot.counts.map { $0.servers >= 414 } == true)
    }

    @Test func theFirstCountsAreNeverHeldUnlessZero() throws {
        var bot = PersistedBot(id: "1")
        #expect(try apply(CountsUpdate(servers: 3), &bot) == .accepted(BotCounts(servers: 3, updatedAt: now)))
    }
}
