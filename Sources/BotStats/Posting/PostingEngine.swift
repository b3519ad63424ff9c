import FoundationEssentials
import Logging
import BotStatsProtocol

/// Owns every bot's counts and every target's posting state, and applies what the pure state
/// machines decide.
///
/// Decisions are made elsewhere, without I/O: `TargetStateMachine` decides when a target sends,
/// reads each answer and says how the post ended, what to show and what to log;
/// `DiscordFetchState` does the same for the Discord fetch; `RetryPolicy.decision` decides every
/// retry for both; `CountsIntake` decides what becomes of new counts. The engine is the shell:
/// workers (`PostingEngine+Workers.swift`, `+Repost.swift`) ask it what to do, send requests
/// outside the actor and report back, so a slow list holds nothing but its own worker, and the
/// engine applies the returned outcome (answers waiting `post` calls, writes the log, saves).
/// Generic over the clock so tests drive time by hand; wall-clock dates come from `wallClock`
/// and are handed to the machines as `wallNow`.
package actor PostingEngine<C: Clock> where C.Duration == Duration {
    /// A target: its state (all of it in `machine`), its worker's wake-ups and the `post` calls
    /// waiting on it.
    struct TargetRuntime {
        var settings: TargetSettings
        var machine: TargetStateMachine<C.Instant>
        var wake: AsyncStream<Void>.Continuation
        var wakes: AsyncStream<Void>
        /// `post` calls waiting for the outcome of the first attempt that carries `version`.
        var waiters: [PostWaiter] = []
        /// Identifies the worker that serves this runtime; a reload that replaces it starts another.
        var generation: Int

        /// Whether a request of this target is out.
        var isSending: Bool { machine.inFlightVersion != nil }
    }

    struct BotRuntime {
        var settings: BotSettings
        var persisted: PersistedBot
        var targets: [TargetRuntime]
        var nextRepost: C.Instant?
        var repostWake: AsyncStream<Void>.Continuation
        var repostWakes: AsyncStream<Void>
        var generation: Int
        /// `source = "discord"`: the last fetch and what went wrong with it.
        var fetch = DiscordFetchState<C.Instant>()
        /// The shard summary last shown in status, and until when it holds.
        var shardsCache: ShardsStatusCache?
    }

    /// A bot's shard summary, valid for the same shard reports until the first of them goes
    /// stale: with 100,000 shards, working it out on every `status` made `status` 70× slower.
    struct ShardsStatusCache {
        var status: ShardsStatus
        /// The reports it was worked out from.
        var reports: [String: ShardReport]?
        var shardCount: Int?
        var shardTimeout: Duration
        /// When the oldest fresh report goes stale; nil when none is fresh.
        var validUntil: Date?
    }

    /// A `post` call waiting for the first attempt that carries counts `version` or newer.
    struct PostWaiter {
        let version: UInt64
        let continuation: CheckedContinuation<PostResult, Never>
    }

    /// A worker the run loop must start: at start-up for everything, after a reload for what is new.
    enum WorkerSpawn: Sendable {
        case target(bot: String, target: String, generation: Int, wakes: AsyncStream<Void>)
        case repost(bot: String, generation: Int, wakes: AsyncStream<Void>)
    }

    let clock: C
    let wallClock: @Sendable () -> Date
    let random: @Sendable () -> Double
    let transport: any StatsTransport
    let stateFile: StateFile
    let logger: Logger
    let requestBuilder = RequestBuilder()
    let startedAt: C.Instant
    let pid: Int
    /// How long in-flight posts may finish after a stop was asked for.
    let shutdownGrace: Duration
    /// `--dry-run`: requests are logged, never sent, and no list is shown as having accepted one.
    let dryRun: Bool

    var configuration: Configuration
    var configLoadedAt: Date
    var lastReloadError: String?
    var bots: [BotRuntime] = []
    var retryPolicy: RetryPolicy
    var redactor: Redactor
    var stopping = false
    /// The engine's run loop, waiting while stopping for the last in-flight request.
    var drainWaiter: CheckedContinuation<Void, Never>?
    /// What the persistence loop works from: see `PostingEngine+Persistence.swift`.
    var persistence = PersistenceQueue<C.Instant>()
    /// One state write at a time, each taking its batch when its turn comes.
    let writeGate = AsyncSlots(limit: 1)
    var nextGeneration = 0
    let spawns: AsyncStream<WorkerSpawn>
    let spawnContinuation: AsyncStream<WorkerSpawn>.Continuation
    let statusListener: (@Sendable (String) -> Void)?

    /// Builds the engine from a validated configuration and whatever `stateFile` holds.
    ///
    /// - Parameters:
    ///   - statusListener: receives the one-line summary after every post round (systemd `STATUS=`).
    package init(
        configuration: Configuration,
        transport: any StatsTransport,
        stateFile: StateFile,
        clock: C,
        logger: Logger,
        pid: Int,
        wallClock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        shutdownGrace: Duration = .seconds(5),
        dryRun: Bool = false,
        statusListener: (@Sendable (String) -> Void)? = nil
    ) {
        self.dryRun = dryRun
        self.configuration = configuration
        self.transport = transport
        self.stateFile = stateFile
        self.clock = clock
        self.logger = logger
        self.pid = pid
        self.wallClock = wallClock
        self.random = random
        self.shutdownGrace = shutdownGrace
        self.statusListener = statusListener
        self.startedAt = clock.now
        self.configLoadedAt = wallClock()
        self.retryPolicy = RetryPolicy(settings: configuration.retry)
        self.redactor = Redactor(secrets: configuration.allSecrets)
        (self.spawns, self.spawnContinuation) = AsyncStream<WorkerSpawn>.makeStream()
        let persisted = stateFile.load(logger: logger, now: wallClock())
        var generation = 0
        self.bots = configuration.bots.map { bot in
            Self.makeBot(
                bot, persisted: persisted.bots[bot.name], policy: RetryPolicy(settings: configuration.retry),
                clock: clock, wallNow: wallClock(), logger: logger, generation: &generation)
        }
        self.nextGeneration = generation
        for bot in bots {
            persistence.durable[bot.settings.name] = bot.persisted
            Self.spawnWorkers(for: bot, into: spawnContinuation)
        }
    }

    static func spawnWorkers(for bot: BotRuntime, into spawns: AsyncStream<WorkerSpawn>.Continuation) {
        spawns.yield(.repost(bot: bot.settings.name, generation: bot.generation, wakes: bot.repostWakes))
        for target in bot.targets {
            spawns.yield(.target(bot: bot.settings.name, target: target.settings.name, generation: target.generation, wakes: target.wakes))
        }
    }

    static func makeBot(
        _ settings: BotSettings, persisted: PersistedBot?, policy: RetryPolicy, clock: C, wallNow: Date, logger: Logger,
        generation: inout Int
    ) -> BotRuntime {
        var saved = persisted ?? PersistedBot(id: settings.id)
        if saved.id != settings.id {
            logger.warning(
                "saved counts belong to another bot id; not posting them",
                metadata: ["bot.name": "\(settings.name)", "saved.id": "\(saved.id)", "bot.id": "\(settings.id)"])
            saved = PersistedBot(id: settings.id)
        }
        let now = clock.now
        let targets = settings.targets.map { target -> TargetRuntime in
            generation += 1
            return makeTarget(
                target, record: saved.targets[target.name] ?? PersistedTarget(), bot: saved, policy: policy,
                now: now, wallNow: wallNow, generation: generation)
        }
        var nextRepost: C.Instant?
        if case .discord = settings.source, saved.counts == nil {
            nextRepost = now  // fetch at once: there is nothing to post until Discord answers
        } else if saved.counts != nil {
            let due = saved.lastPostedAt.map { $0.addingTimeInterval(settings.repostInterval.seconds) } ?? wallNow
            nextRepost = due > wallNow ? now.advanced(by: .seconds(due.timeIntervalSince(wallNow))) : now
        }
        let (repostWakes, repostWake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        generation += 1
        return BotRuntime(
            settings: settings, persisted: saved, targets: targets, nextRepost: nextRepost,
            repostWake: repostWake, repostWakes: repostWakes, generation: generation)
    }

    /// A target's runtime from what was saved: lists that missed the newest counts get them.
    static func makeTarget(
        _ target: TargetSettings, record: PersistedTarget, bot: PersistedBot, policy: RetryPolicy,
        now: C.Instant, wallNow: Date, generation: Int
    ) -> TargetRuntime {
        var machine = TargetStateMachine<C.Instant>(policy: policy, enabled: target.enabled)
        machine.restore(record, now: now, wallNow: wallNow)
        if bot.counts != nil, machine.deliveredVersion < bot.countsVersion {
            machine.trigger(version: bot.countsVersion)
        }
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        return TargetRuntime(settings: target, machine: machine, wake: wake, wakes: wakes, generation: generation)
    }

    /// Where the runtime served by the worker `(bot, target, generation)` is, if it still exists.
    func locate(bot: String, target: String, generation: Int) -> (Int, Int)? {
        guard let b = indexOfBot(bot),
            let t = indexOfTarget(target, inBot: b, generation: generation)
        else { return nil }
        return (b, t)
    }

    // MARK: - Control operations

    /// Index of the bot a request names; with one bot configured the name may be left out.
    func botIndex(named name: String?) throws(ControlError) -> Int {
        if let name {
            guard let index = indexOfBot(name) else {
                throw .unknownBot(name, known: bots.map(\.settings.name))
            }
            return index
        }
        guard bots.count == 1 else {
            throw ControlError(.badRequest, "several bots are configured; name one with bot (configured: \(bots.map(\.settings.name).joined(separator: ", ")))")
        }
        return 0
    }

    /// Accepts new counts for a bot (a total or one shard's share), persists them, then posts
    /// them to every enabled target.
    ///
    /// Everything is on disk before this returns; when it cannot be saved the call fails and the
    /// previous state stays in force. `set`s that arrive together share one write and one flush
    /// (see `PostingEngine+Persistence.swift`). See `CountsIntake` for shards and the drop guard.
    package func set(bot name: String?, update: CountsUpdate) async throws(ControlError) -> SetResult {
        guard !stopping else { throw ControlError(.shuttingDown, "the daemon is stopping") }
        let index = try botIndex(named: name)
        let botName = bots[index].settings.name
        var updated = bots[index].persisted
        let outcome = try CountsIntake.apply(
            update, to: &updated, dropGuard: bots[index].settings.dropGuard, repostInterval: bots[index].settings.repostInterval, now: wallClock())
        bots[index].persisted = updated
        if let failure = await commit(bot: botName) {
            logger.error("counts not accepted: \(failure.description)", metadata: ["bot.name": "\(botName)"])
            throw ControlError(.stateWriteFailed, failure.description)
        }
        // The bot may have moved while the write waited (a reload): find it again.
        guard let index = indexOfBot(botName) else {
            throw ControlError(.unknownBot, "bot '\(botName)' was removed by a reload")
        }
        let targets = bots[index].targets.filter(\.settings.enabled).map(\.settings.name)
        switch outcome {
        case .accepted(let counts):
            logger.info(
                "counts updated",
                metadata: [
                    "bot.name": "\(botName)", "servers": "\(counts.servers)",
                    "users": "\(counts.users.map(String.init) ?? "-")", "shards": "\(counts.shards.map(String.init) ?? "-")",
                ])
            triggerPostRound(botIndex: index)
            let note = dryRun ? "dry run: kept in memory, not saved; requests to \(targets.joined(separator: ", ")) are logged, not sent" : nil
            return SetResult(bot: botName, outcome: .accepted, counts: counts, targets: targets, message: note)
        case .held(let held):
            logger.warning("counts held back", metadata: ["bot.name": "\(botName)", "reason": "\(held.reason)"])
            return SetResult(bot: botName, outcome: .held, counts: held.counts, targets: [], message: held.reason)
        case .waitingForShards(let reported, let total):
            return SetResult(
                bot: botName, outcome: .waitingForShards, counts: nil, targets: [],
                message: "\(reported) of \(total) shards have reported; the total is posted once all have")
        }
    }

    /// A total for a bot: `set(bot:update:)` with no shard fields.
    package func set(bot name: String?, servers: Int, users: Int?, shards: Int?) async throws(ControlError) -> SetResult {
        try await set(bot: name, update: CountsUpdate(servers: servers, users: users, shards: shards))
    }

    /// Starts a post of the cached counts to every enabled target of a bot and restarts its repost timer.
    func triggerPostRound(botIndex index: Int) {
        let version = bots[index].persisted.countsVersion
        for t in bots[index].targets.indices {
            bots[index].targets[t].machine.trigger(version: version)
            bots[index].targets[t].wake.yield()
        }
        bots[index].nextRepost = clock.now.advanced(by: bots[index].settings.repostInterval)
        bots[index].repostWake.yield()
    }

    /// Posts the cached counts now (rate limits still apply) and answers per target.
    ///
    /// A target that may send now is answered with the outcome of that request (and of any
    /// immediate retries); a target a list has deferred, or whose retry waits for a backoff, is
    /// answered at once with its state and `next_attempt_at`, and is still posted to when it may.
    /// So the answer takes as long as the requests really sent, never as long as a cooldown.
    package func post(bot name: String?, target targetName: String?) async throws(ControlError) -> [PostResult] {
        guard !stopping else { throw ControlError(.shuttingDown, "the daemon is stopping") }
        let index = try botIndex(named: name)
        let botName = bots[index].settings.name
        guard bots[index].persisted.counts != nil else {
            throw ControlError(.noCounts, "bot '\(botName)' has no counts yet; run botstatsctl set first")
        }
        var selected = Array(bots[index].targets.indices)
        if let targetName {
            guard let t = indexOfTarget(targetName, inBot: index) else {
                throw ControlError(
                    .unknownTarget,
                    "bot '\(botName)' has no target '\(targetName)'; configured: \(bots[index].targets.map(\.settings.name).joined(separator: ", "))")
            }
            selected = [t]
        }
        let version = bots[index].persisted.countsVersion
        let now = clock.now
        var results: [PostResult] = []
        await withTaskGroup(of: PostResult.self) { group in
            for t in selected {
                let target = bots[index].targets[t]
                if !target.settings.enabled {
                    results.append(result(botIndex: index, targetIndex: t, outcome: .disabled))
                    continue
                }
                bots[index].targets[t].machine.trigger(version: version)
                if !target.isSending, let notBefore = target.machine.notBefore, notBefore > now {
                    results.append(result(botIndex: index, targetIndex: t, outcome: waitingOutcome(target)))
                    continue
                }
                let targetName = target.settings.name
                group.addTask {
                    await self.waitForOutcome(bot: botName, target: targetName, version: version)
                }
                bots[index].targets[t].wake.yield()
            }
            for await result in group { results.append(result) }
        }
        let order = bots[index].targets.map(\.settings.name)
        return results.sorted { (order.firstIndex(of: $0.target) ?? 0) < (order.firstIndex(of: $1.target) ?? 0) }
    }

    private func waitForOutcome(bot: String, target: String, version: UInt64) async -> PostResult {
        await withCheckedContinuation { continuation in
            guard let b = indexOfBot(bot),
                let t = indexOfTarget(target, inBot: b)
            else {
                continuation.resume(
                    returning: PostResult(
                        bot: bot, target: target, outcome: .stopped, state: .disabled, httpStatus: nil,
                        error: "target was removed", nextAttemptAt: nil))
                return
            }
            bots[b].targets[t].waiters.append(PostWaiter(version: version, continuation: continuation))
        }
    }

    /// `retrying` while a failed post waits for its backoff, else `deferred` (a list's cooldown,
    /// an open circuit).
    func waitingOutcome(_ target: TargetRuntime) -> PostOutcome {
        target.machine.state == .retrying ? .retrying : .deferred
    }

    func result(botIndex b: Int, targetIndex t: Int, outcome: PostOutcome) -> PostResult {
        let target = bots[b].targets[t]
        return PostResult(
            bot: bots[b].settings.name, target: target.settings.name, outcome: outcome,
            state: target.machine.state, httpStatus: target.machine.lastStatus, error: target.machine.lastError,
            nextAttemptAt: nextAttemptDate(target))
    }

    /// Answers the waiting `post` calls of target `t`: all of them, or with `sent`, those whose
    /// counts that attempt carried.
    func resolveWaiters(botIndex b: Int, targetIndex t: Int, outcome: PostOutcome, sent: UInt64? = nil) {
        let waiters = bots[b].targets[t].waiters
        guard !waiters.isEmpty else { return }
        let due = waiters.filter { sent == nil || $0.version <= sent! }
        guard !due.isEmpty else { return }
        bots[b].targets[t].waiters = waiters.filter { sent != nil && $0.version > sent! }
        let result = result(botIndex: b, targetIndex: t, outcome: outcome)
        for waiter in due { waiter.continuation.resume(returning: result) }
    }

    // MARK: - Time conversions

    /// The wall-clock second of `instant`, as status and answers print it (RFC 3339 without
    /// fractions). Whole seconds keep two reports of the same second equal, so a poller asking
    /// many times a second gets the line written last time (`LastStatusLine`); with the fraction
    /// every report differed and each `status` was written anew.
    func date(of instant: C.Instant) -> Date {
        let date = TargetStateMachine<C.Instant>.date(of: instant, now: clock.now, wallNow: wallClock())
        return Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    func nextAttemptDate(_ target: TargetRuntime) -> Date? {
        guard target.machine.pendingVersion != nil || target.machine.state == .circuitOpen,
            let notBefore = target.machine.notBefore
        else { return nil }
        return date(of: notBefore)
    }
}
