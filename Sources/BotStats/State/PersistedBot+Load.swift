#if canImport(FoundationEssentials)
import FoundationEssentials
import BotStatsProtocol
#else
import FoundationEssentials
#endif

extension PersistedBot {
    /// Why this saved bot cannot be used at all, or nil when it can.
    ///
    /// A bot is unusable when a value the daemon would post or sum is outside what a `set` could
    /// ever have stored: counts outside 0…10^12, a shard count outside 1…100,000, shard reports
    /// without a shard count or under an id outside it. The daemon never writes such a file, so
    /// guessing what was meant would post invented numbers; the file is moved aside like one that
    /// does not parse.
    package func unusableReason() -> String? {
        if let counts, let problem = Self.problem(in: counts) { return "counts.\(problem)" }
        if let held, let problem = Self.problem(in: held.counts) { return "held.counts.\(problem)" }
        for (index, total) in (recentTotals ?? []).enumerated() {
            if let problem = Self.problem(in: total) { return "recent_totals[\(index)].\(problem)" }
        }
        if let shardCount, !(1...StateLimits.maxShardCount).contains(shardCount) {
            return "shard_count \(shardCount) is outside 1 to \(StateLimits.maxShardCount)"
        }
        guard let shardReports, !shardReports.isEmpty else { return nil }
        guard let shardCount else { return "shard_reports are present without a shard_count" }
        for (key, report) in shardReports.sorted(by: { $0.key < $1.key }) {
            guard let id = Int(key), (0..<shardCount).contains(id) else {
                return "shard_reports has shard id '\(key.prefix(32))', outside 0 to \(shardCount - 1)"
            }
            let values: [(String, Int?)] = [("servers", report.servers), ("users", report.users), ("good_servers", report.goodServers)]
            for case (let name, let value?) in values where !(0...StateLimits.maxCount).contains(value) {
                return "shard_reports.\(key).\(name) \(value) is outside 0 to 10^12"
            }
        }
        return nil
    }

    private static func problem(in counts: BotCounts) -> String? {
        let values: [(String, Int?)] = [("servers", counts.servers), ("users", counts.users), ("shards", counts.shards)]
        for case (let name, let value?) in values where !(0...StateLimits.maxCount).contains(value) {
            return "\(name) \(value) is outside 0 to 10^12"
        }
        return nil
    }

    /// This bot with every value a running daemon counts with or waits on brought into range.
    ///
    /// See ``clampForLoad(now:maxWait:)``.
    package func clampedForLoad(now: Date, maxWait: Duration = StateLimits.maxWait) -> PersistedBot {
        var bot = self
        bot.clampForLoad(now: now, maxWait: maxWait)
        return bot
    }

    /// Brings every value a running daemon counts with or waits on into range, and returns the
    /// keys that had to change (`targets.topgg.not_before`), for one warning.
    ///
    /// - Times that say when something happened (`last_posted_at`, `updated_at`,
    ///   `last_attempt_at`, …) are at most `now`: a file written under a clock that ran ahead must
    ///   not push the repost timer years out (a `last_posted_at` in the future counts as now).
    /// - Times that say how long to wait (`not_before`, `rate_limit.reset_at`) are at most
    ///   `now + maxWait`, the cap on a live list's wait.
    /// - Counters are 0 to ``StateLimits/counterCeiling``, so `+ 1` on them never traps.
    /// - A list's `delivered_version` is at most `counts_version` (otherwise newer counts would
    ///   never reach it), and a `counts_version` beyond the ceiling is renumbered from 2, keeping
    ///   which lists have the current counts and which still need them.
    /// - At most `CountsIntake.maxRecentTotals` recent totals are kept, the newest.
    @discardableResult
    package mutating func clampForLoad(now: Date, maxWait: Duration = StateLimits.maxWait) -> [String] {
        var adjusted: [String] = []
        func happened(_ date: inout Date?, _ key: String) {
            guard let value = date, value > now else { return }
            date = now
            adjusted.append(key)
        }
        func happened(_ date: inout Date, _ key: String) {
            guard date > now else { return }
            date = now
            adjusted.append(key)
        }
        happened(&lastPostedAt, "last_posted_at")
        if counts != nil { happened(&counts!.updatedAt, "counts.updated_at") }
        if held != nil { happened(&held!.counts.updatedAt, "held.counts.updated_at") }
        if var totals = recentTotals {
            if totals.count > CountsIntake.maxRecentTotals {
                totals = Array(totals.suffix(CountsIntake.maxRecentTotals))
                adjusted.append("recent_totals")
            }
            for index in totals.indices { happened(&totals[index].updatedAt, "recent_totals[\(index)].updated_at") }
            recentTotals = totals
        }
        if var reports = shardReports {
            for key in reports.keys.sorted() { happened(&reports[key]!.updatedAt, "shard_reports.\(key).updated_at") }
            shardReports = reports
        }

        let ceiling = UInt64(StateLimits.counterCeiling)
        for name in targets.keys.sorted() {
            adjusted += targets[name]!.clampForLoad(now: now, maxWait: maxWait, countsVersion: countsVersion)
                .map { "targets.\(name).\($0)" }
        }
        if countsVersion > ceiling {
            // Only "has this list the current counts or not" matters; the numbers start again low.
            for name in targets.keys {
                targets[name]!.deliveredVersion = targets[name]!.deliveredVersion == countsVersion ? 2 : 1
            }
            countsVersion = 2
            adjusted.append("counts_version")
        }
        return adjusted
    }
}
