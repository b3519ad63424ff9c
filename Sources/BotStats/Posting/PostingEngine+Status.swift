import FoundationEssentials
import BotStatsProtocol

extension PostingEngine {
    /// The status object of SPEC §7.
    package func status() -> StatusReport {
        let now = clock.now
        let wallNow = wallClock()
        let bots = self.bots.indices.map { index -> BotStatus in
            let bot = self.bots[index]
            let counts = bot.persisted.counts
            let nextRepost = bot.nextRepost.map { date(of: $0) }
            return BotStatus(
                name: bot.settings.name, id: bot.settings.id,
                counts: CountsStatus(
                    servers: counts?.servers, users: counts?.users, shards: counts?.shards,
                    updatedAt: counts?.updatedAt),
                lastPostedAt: bot.persisted.lastPostedAt,
                nextRepostAt: nextRepost,
                nextRepostInSeconds: bot.nextRepost.map { max(0, Int(now.duration(to: $0).seconds.rounded(.up))) },
                repostIntervalSeconds: Int(bot.settings.repostInterval.seconds),
                held: bot.persisted.held.map {
                    HeldStatus(servers: $0.counts.servers, users: $0.counts.users, shards: $0.counts.shards, reason: $0.reason)
                },
                shards: cachedShardsStatus(botIndex: index, wallNow: wallNow),
                source: {
                    if case .discord = bot.settings.source {
                        return SourceStatus(kind: "discord", lastFetchAt: bot.fetch.lastFetchAt, lastError: bot.fetch.lastError)
                    }
                    return SourceStatus(kind: "push", lastFetchAt: nil, lastError: nil)
                }(),
                targets: bot.targets.map { target in
                    let machine = target.machine
                    let window = machine.rateLimit
                    return TargetStatus(
                        name: target.settings.name, provider: target.settings.providerName,
                        state: machine.state, lastAttemptAt: machine.lastAttemptAt,
                        lastSuccessAt: machine.lastSuccessAt, lastStatus: machine.lastStatus,
                        lastError: machine.lastError,
                        consecutiveFailures: machine.consecutiveFailures,
                        postsTotal: machine.postsTotal, failuresTotal: machine.failuresTotal,
                        retriesTotal: machine.retriesTotal, failuresByClass: machine.failureClasses,
                        nextAttemptAt: nextAttemptDate(target),
                        rateLimit: RateLimitStatus(
                            limit: window.limit, remaining: window.remaining, resetAt: window.resetAt,
                            resetInSeconds: window.resetAt.map { max(0, Int($0.timeIntervalSince(wallNow).rounded(.up))) }))
                })
        }
        return StatusReport(
            version: BotStatsVersion.version, pid: pid,
            uptimeSeconds: Int(startedAt.duration(to: now).seconds),
            configPath: configuration.path, configLoadedAt: configLoadedAt,
            lastReloadError: lastReloadError, dryRun: dryRun, bots: bots)
    }

    /// `shardsStatus`, worked out again only when the reports or settings changed or a fresh
    /// report may have gone stale. Comparing the reports is cheap: an unchanged dictionary
    /// shares its storage, so equal ones compare by identity first.
    func cachedShardsStatus(botIndex b: Int, wallNow: Date) -> ShardsStatus? {
        let bot = bots[b]
        if let cache = bot.shardsCache, cache.shardCount == bot.persisted.shardCount,
            cache.shardTimeout == bot.settings.shardTimeout, cache.validUntil.map({ wallNow < $0 }) ?? true,
            cache.reports == bot.persisted.shardReports
        {
            return cache.status
        }
        guard let status = shardsStatus(bot, wallNow: wallNow) else {
            bots[b].shardsCache = nil
            return nil
        }
        let cutoff = wallNow.addingTimeInterval(-bot.settings.shardTimeout.seconds)
        let oldestFresh = bot.persisted.shardReports?.values.lazy.map(\.updatedAt).filter { $0 >= cutoff }.min()
        bots[b].shardsCache = ShardsStatusCache(
            status: status, reports: bot.persisted.shardReports, shardCount: bot.persisted.shardCount,
            shardTimeout: bot.settings.shardTimeout,
            validUntil: oldestFresh.map { $0.addingTimeInterval(bot.settings.shardTimeout.seconds) })
        return status
    }

    /// Per-shard progress: how many reported, which are stale or missing (at most
    /// `ShardsStatus.listed` of each, lowest ids first, so a bot with 100,000 shards answers
    /// `status` as fast as one with eight).
    func shardsStatus(_ bot: BotRuntime, wallNow: Date) -> ShardsStatus? {
        guard let count = bot.persisted.shardCount else { return nil }
        let reports = bot.persisted.shardReports ?? [:]
        let cutoff = wallNow.addingTimeInterval(-bot.settings.shardTimeout.seconds)
        var stale: [Int] = []
        var staleCount = 0
        for (id, report) in reports where report.updatedAt < cutoff {
            staleCount += 1
            if let number = Int(id) { stale.append(number) }
        }
        var missing: [Int] = []
        // Every id below the count has reported when there are that many reports.
        if reports.count < count {
            for id in 0..<count where reports[String(id)] == nil {
                missing.append(id)
                if missing.count == ShardsStatus.listed { break }
            }
        }
        return ShardsStatus(
            count: count, reported: reports.count, stale: Array(stale.sorted().prefix(ShardsStatus.listed)),
            staleCount: staleCount, missing: missing)
    }

    /// One human line for systemd's `STATUS=`: `5/6 lists ok, 1523 servers, next repost in 42m`.
    /// Made after every bot's post round, so it counts in place (`targetTally`).
    package func statusLine() -> String {
        let (enabled, ok, _) = targetTally()
        var parts = dryRun ? ["dry run, nothing is sent to \(enabled) lists"] : ["\(ok)/\(enabled) lists ok"]
        if bots.count == 1 {
            if let servers = bots[0].persisted.counts?.servers { parts.append("\(servers) servers") } else { parts.append("no counts yet") }
        } else {
            parts.append("\(bots.count) bots")
        }
        let now = clock.now
        var nextRepost: C.Instant?
        bots.withUnsafeBufferPointer { bots in
            for b in bots.indices {
                if let next = bots[b].nextRepost, nextRepost.map({ next < $0 }) ?? true { nextRepost = next }
            }
        }
        if let next = nextRepost {
            parts.append("next repost in \(DurationText.format(roundedToSeconds: now.duration(to: next)))")
        }
        if let lastReloadError { parts.append("reload failed: \(lastReloadError)") }
        return parts.joined(separator: ", ")
    }
}
