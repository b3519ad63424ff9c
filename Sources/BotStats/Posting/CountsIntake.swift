import FoundationEssentials
import BotStatsProtocol

/// Decides what a `set` does to a bot's saved counts: per-shard bookkeeping, then the drop guard.
///
/// Pure: the caller persists the result and starts the posts.
package enum CountsIntake {
    /// Largest shard count accepted.
    package static let maxShards = 100_000

    /// Accepted totals remembered for the drop guard's reference, at most; the oldest go first.
    static let maxRecentTotals = 256

    /// What became of an update.
    package enum Outcome: Sendable, Equatable {
        /// These counts are now the bot's and are to be posted.
        case accepted(BotCounts)
        /// The drop guard held these counts back.
        case held(HeldCounts)
        /// A shard's report was stored; the total waits for the others.
        case waitingForShards(reported: Int, of: Int)
    }

    /// Applies `update` to `bot`.
    ///
    /// - Shards: a report is stored per shard id; shard ids at or beyond a new shard count are
    ///   dropped; the total is the exact sum over shards `0..<count`, formed only when all have
    ///   reported. A plain total ends per-shard reporting.
    /// - Drop guard, per shard: each shard keeps its last good share. A report more than
    ///   `dropGuard` below it is a dip and leaves the good share alone, so shards collapsing one
    ///   after another are measured against what they all had, not against the last step. The total
    ///   is held when it is more than `dropGuard` below the sum of the good shares: one shard's
    ///   restart passes, a collapse in stages is held like one. A shard confirms its own dip by
    ///   reporting again no higher than the dip; another shard's low report confirms nothing.
    /// - Drop guard, for totals (and shards without good shares yet, after an upgrade or a new
    ///   shard count): the reference is the highest total accepted within the last
    ///   `repostInterval`, or the last accepted total when that is higher. A total held back is
    ///   confirmed by a later update that is again that low and no higher than the held one (a bot
    ///   still starting keeps rising, so its totals stay held).
    /// - Zero servers are never accepted without `force`; `force` accepts anything and makes the
    ///   forced counts the new reference.
    package static func apply(
        _ update: CountsUpdate, to bot: inout PersistedBot, dropGuard: Double, repostInterval: Duration, now: Date
    ) throws(ControlError) -> Outcome {
        let candidate: BotCounts
        var shardReference: Int?
        if let shardID = update.shardID, let shardCount = update.shardCount {
            guard shardCount >= 1, shardCount <= maxShards else {
                throw .badRequest("shard_count: must be 1 to \(maxShards)")
            }
            guard shardID < shardCount else {
                throw .badRequest("shard_id: \(shardID) is not below shard_count \(shardCount)")
            }
            var reports = bot.shardReports ?? [:]
            if bot.shardCount != shardCount {
                // Another shard count spreads the guilds over the shards anew: old shares say nothing.
                reports = reports.filter { (Int($0.key) ?? .max) < shardCount }.mapValues { report in
                    var report = report
                    report.goodServers = nil
                    return report
                }
                bot.shardCount = shardCount
            }
            let previous = reports[String(shardID)]
            var report = ShardReport(servers: update.servers, users: update.users, updatedAt: now)
            report.goodServers = goodShare(after: update.servers, previous: previous, dropGuard: dropGuard)
            reports[String(shardID)] = report
            bot.shardReports = reports
            guard reports.count == shardCount else {
                return .waitingForShards(reported: reports.count, of: shardCount)
            }
            let all = Array(reports.values)
            // Saturating sums: reports loaded from a state file are checked, but a sum must never trap.
            let users = all.allSatisfy { $0.users != nil } ? saturatingSum(all.map { $0.users ?? 0 }) : nil
            candidate = BotCounts(servers: saturatingSum(all.map(\.servers)), users: users, shards: shardCount, updatedAt: now)
            if all.allSatisfy({ $0.goodServers != nil }) {
                shardReference = saturatingSum(all.map { $0.goodServers ?? 0 })
            }
        } else {
            bot.shardReports = nil
            bot.shardCount = nil
            candidate = BotCounts(servers: update.servers, users: update.users, shards: update.shards, updatedAt: now)
        }

        let window = recentTotals(of: bot, within: repostInterval, now: now)
        var startsAnew = update.force
        if !update.force {
            if candidate.servers == 0 {
                return hold(candidate, "0 servers is never posted without --force", in: &bot)
            }
            let reference = shardReference ?? max(bot.counts?.servers ?? 0, window.map(\.servers).max() ?? 0)
            if isDrop(candidate.servers, from: reference, dropGuard: dropGuard) {
                // Per shard, only the shards themselves confirm; for totals, a second low report does.
                let confirmed =
                    shardReference == nil
                    && bot.held.map { held in
                        isDrop(held.counts.servers, from: reference, dropGuard: dropGuard)
                            && candidate.servers <= held.counts.servers
                    } ?? false
                if !confirmed {
                    let percent = Int((dropGuard * 100).rounded())
                    return hold(
                        candidate,
                        "fell from \(reference) to \(candidate.servers) servers (more than \(percent)%); "
                            + "held until a later update confirms it, or set --force",
                        in: &bot)
                }
                startsAnew = true
            }
        }
        bot.held = nil
        bot.counts = candidate
        // A version loaded from a file could sit at the top; it stays there rather than trap (the
        // loader renumbers versions that high, so this is never reached in practice).
        if bot.countsVersion < .max { bot.countsVersion += 1 }
        if var reports = bot.shardReports {
            for (id, report) in reports where startsAnew || report.goodServers == nil {
                // Confirmed, forced, or the first total since the shard layout changed: these
                // shares are what the bot has now.
                reports[id]?.goodServers = report.servers
            }
            bot.shardReports = reports
        }
        bot.recentTotals = Array(((startsAnew ? [] : window) + [candidate]).suffix(maxRecentTotals))
        return .accepted(candidate)
    }

    /// The shard's good share after it reports `servers`: the report itself unless it is a dip
    /// (more than `dropGuard` below the good share), in which case the good share stays, until
    /// the shard confirms the dip by reporting again no higher. Nil while the shard has none yet.
    private static func goodShare(after servers: Int, previous: ShardReport?, dropGuard: Double) -> Int? {
        guard let previous, let good = previous.goodServers else { return nil }
        guard isDrop(servers, from: good, dropGuard: dropGuard) else { return servers }
        let confirmsDip = isDrop(previous.servers, from: good, dropGuard: dropGuard) && servers <= previous.servers
        return confirmsDip ? servers : good
    }

    /// Whether `servers` is more than `dropGuard` below `reference`.
    private static func isDrop(_ servers: Int, from reference: Int, dropGuard: Double) -> Bool {
        Double(servers) < Double(reference) * (1 - dropGuard)
    }

    /// The accepted totals of the last `interval`; a total stamped in the future (the wall clock was
    /// set back) still counts, since dropping it would loosen the guard.
    private static func recentTotals(of bot: PersistedBot, within interval: Duration, now: Date) -> [BotCounts] {
        let since = now.addingTimeInterval(-interval.seconds)
        return (bot.recentTotals ?? []).filter { $0.updatedAt >= since }
    }

    /// The sum of `values`, stopping at `Int.max` instead of trapping.
    private static func saturatingSum(_ values: [Int]) -> Int {
        values.reduce(0) { sum, value in
            var sum = sum
            sum.addSaturating(value)
            return sum
        }
    }

    private static func hold(_ counts: BotCounts, _ reason: String, in bot: inout PersistedBot) -> Outcome {
        let held = HeldCounts(counts: counts, reason: reason)
        bot.held = held
        return .held(held)
    }
}
