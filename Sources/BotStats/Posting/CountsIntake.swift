import Foundation

/// One `set`: a bot's total, or one shard's share of it.
public struct CountsUpdate: Sendable, Equatable {
    public var servers: Int
    public var users: Int?
    public var shards: Int?
    public var shardID: Int?
    public var shardCount: Int?
    /// Bypass the drop guard (and the zero-servers rule).
    public var force: Bool

    public init(servers: Int, users: Int? = nil, shards: Int? = nil, shardID: Int? = nil, shardCount: Int? = nil, force: Bool = false) {
        self.servers = servers
        self.users = users
        self.shards = shards
        self.shardID = shardID
        self.shardCount = shardCount
        self.force = force
    }
}

/// Decides what a `set` does to a bot's saved counts: per-shard bookkeeping, then the drop guard.
///
/// Pure: the caller persists the result and starts the posts.
public enum CountsIntake {
    /// Largest shard count accepted.
    public static let maxShards = 100_000

    /// What became of an update.
    public enum Outcome: Sendable, Equatable {
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
    /// - Drop guard: a total more than `dropGuard` below the last accepted total is held back. It is
    ///   confirmed by a later update that is again that low and no higher than the held one (a bot
    ///   still starting keeps rising, so its totals stay held). Zero servers are never accepted
    ///   without `force`.
    public static func apply(
        _ update: CountsUpdate, to bot: inout PersistedBot, dropGuard: Double, now: Date
    ) throws(ControlError) -> Outcome {
        let candidate: BotCounts
        if let shardID = update.shardID, let shardCount = update.shardCount {
            guard shardCount >= 1, shardCount <= maxShards else {
                throw .badRequest("shard_count: must be 1 to \(maxShards)")
            }
            guard shardID < shardCount else {
                throw .badRequest("shard_id: \(shardID) is not below shard_count \(shardCount)")
            }
            var reports = bot.shardReports ?? [:]
            if bot.shardCount != shardCount {
                reports = reports.filter { (Int($0.key) ?? .max) < shardCount }
                bot.shardCount = shardCount
            }
            reports[String(shardID)] = ShardReport(servers: update.servers, users: update.users, updatedAt: now)
            bot.shardReports = reports
            guard reports.count == shardCount else {
                return .waitingForShards(reported: reports.count, of: shardCount)
            }
            let all = Array(reports.values)
            let users = all.allSatisfy { $0.users != nil } ? all.reduce(0) { $0 + ($1.users ?? 0) } : nil
            candidate = BotCounts(servers: all.reduce(0) { $0 + $1.servers }, users: users, shards: shardCount, updatedAt: now)
        } else {
            bot.shardReports = nil
            bot.shardCount = nil
            candidate = BotCounts(servers: update.servers, users: update.users, shards: update.shards, updatedAt: now)
        }

        if !update.force {
            if candidate.servers == 0 {
                return hold(candidate, "0 servers is never posted without --force", in: &bot)
            }
            if let last = bot.counts, Double(candidate.servers) < Double(last.servers) * (1 - dropGuard) {
                let confirmed = bot.held.map { held in
                    Double(held.counts.servers) < Double(last.servers) * (1 - dropGuard)
                        && candidate.servers <= held.counts.servers
                } ?? false
                if !confirmed {
                    let percent = Int((dropGuard * 100).rounded())
                    return hold(
                        candidate,
                        "fell from \(last.servers) to \(candidate.servers) servers (more than \(percent)%); "
                            + "held until a later update confirms it, or set --force",
                        in: &bot)
                }
            }
        }
        bot.held = nil
        bot.counts = candidate
        bot.countsVersion += 1
        return .accepted(candidate)
    }

    private static func hold(_ counts: BotCounts, _ reason: String, in bot: inout PersistedBot) -> Outcome {
        let held = HeldCounts(counts: counts, reason: reason)
        bot.held = held
        return .held(held)
    }
}
