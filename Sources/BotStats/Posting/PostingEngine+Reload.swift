import FoundationEssentials
import Logging
import BotStatsProtocol

extension PostingEngine {
    /// Applies a new, already validated configuration without losing anything.
    ///
    /// Bots and targets are matched by name. A target that stays keeps its counters, cooldown and
    /// in-flight post, and its worker picks up the new settings at its next step; a new target gets
    /// a worker and the cached counts; a removed one finishes its in-flight request and stops.
    /// Targets that were `unauthorized` or `rejected` are tried again: a reload is how an operator
    /// says "I fixed the token".
    package func apply(_ new: Configuration) {
        let policy = RetryPolicy(settings: new.retry)
        let wallNow = wallClock()
        let now = clock.now
        let restartOnly = [
            ("control_socket", new.daemon.controlSocket != configuration.daemon.controlSocket),
            ("state_directory", new.daemon.stateDirectory != configuration.daemon.stateDirectory),
            ("metrics_listen", new.daemon.metricsListen != configuration.daemon.metricsListen),
            ("intake_listen and [intake]", new.daemon.intake != configuration.daemon.intake),
        ].filter(\.1).map { "daemon.\($0.0)" }
        if !restartOnly.isEmpty {
            logger.warning("changes to \(restartOnly.joined(separator: ", ")) take effect at the next restart")
        }
        var next: [BotRuntime] = []
        let previousNames = Set(bots.map(\.settings.name))
        let added = new.bots.filter { !previousNames.contains($0.name) }
        let savedBots = added.isEmpty ? [:] : stateFile.load(logger: logger, now: wallNow).bots
        var changed: Set<String> = []
        for settings in new.bots {
            guard let b = indexOfBot(settings.name) else {
                nextGeneration += 1
                var generation = nextGeneration
                // A bot that comes back (a drop-in restored, or one from an earlier run) has its
                // saved counts and outcomes on disk: they are its state, not an empty one.
                let saved = savedBots[settings.name]
                let bot = Self.makeBot(
                    settings, persisted: saved, policy: policy, clock: clock, wallNow: wallNow, logger: logger,
                    generation: &generation)
                nextGeneration = generation
                Self.spawnWorkers(for: bot, into: spawnContinuation)
                logger.notice("bot added", metadata: ["bot.name": "\(settings.name)"])
                next.append(bot)
                continue
            }
            var bot = bots[b]
            if bot.settings.id != settings.id {
                logger.warning("bot id changed; its cached counts are dropped", metadata: ["bot.name": "\(settings.name)"])
                bot.persisted = PersistedBot(id: settings.id)
                bot.nextRepost = nil
            }
            if bot.settings.repostInterval != settings.repostInterval, bot.persisted.counts != nil {
                let due = bot.persisted.lastPostedAt.map { $0.addingTimeInterval(settings.repostInterval.seconds) } ?? wallNow
                bot.nextRepost = now.advanced(by: .seconds(max(0, due.timeIntervalSince(wallNow))))
                bot.repostWake.yield()
            }
            var targets: [TargetRuntime] = []
            for targetSettings in settings.targets {
                if var target = bot.targets.first(where: { $0.settings.name == targetSettings.name }) {
                    target.settings = targetSettings
                    target.machine.reconfigure(policy: policy, enabled: targetSettings.enabled)
                    if [.unauthorized, .rejected].contains(target.machine.state), bot.persisted.counts != nil {
                        target.machine.trigger(version: bot.persisted.countsVersion)
                    }
                    target.wake.yield()
                    targets.append(target)
                } else {
                    nextGeneration += 1
                    let target = Self.makeTarget(
                        targetSettings, record: PersistedTarget(), bot: bot.persisted, policy: policy,
                        now: now, wallNow: wallNow, generation: nextGeneration)
                    spawnContinuation.yield(
                        .target(
                            bot: settings.name, target: targetSettings.name, generation: target.generation, wakes: target.wakes))
                    logger.notice("target added", metadata: ["bot.name": "\(settings.name)", "target.name": "\(targetSettings.name)"])
                    targets.append(target)
                }
            }
            for old in bot.targets where !settings.targets.contains(where: { $0.name == old.settings.name }) {
                retire(old, bot: settings.name, reason: "target was removed by a reload")
                logger.notice("target removed", metadata: ["bot.name": "\(settings.name)", "target.name": "\(old.settings.name)"])
            }
            if bot.settings != settings { changed.insert(settings.name) }
            bot.settings = settings
            bot.targets = targets
            next.append(bot)
        }
        for old in bots where !new.bots.contains(where: { $0.name == old.settings.name }) {
            for target in old.targets { retire(target, bot: old.settings.name, reason: "bot was removed by a reload") }
            old.repostWake.finish()
            logger.notice("bot removed", metadata: ["bot.name": "\(old.settings.name)"])
        }
        bots = next
        configuration = new
        retryPolicy = policy
        redactor = Redactor(secrets: new.allSecrets)
        configLoadedAt = wallNow
        lastReloadError = nil
        // Kept bots are saved as they change; only bots a reload touched are written now.
        for bot in added { persistence.durable[bot.name] = savedBots[bot.name] }
        saveSoon(bots: new.bots.map(\.name).filter { name in !previousNames.contains(name) || changed.contains(name) })
    }

    private func retire(_ target: TargetRuntime, bot: String, reason: String) {
        for waiter in target.waiters {
            waiter.continuation.resume(
                returning: PostResult(
                    bot: bot, target: target.settings.name, outcome: .stopped, state: target.machine.state,
                    httpStatus: nil, error: reason, nextAttemptAt: nil))
        }
        target.wake.finish()
    }

    /// Records that a reload was rejected, for status and `STATUS=`.
    package func recordReloadFailure(_ message: String) {
        lastReloadError = message
    }

    /// Counts of configured bots and targets, for the reload reply.
    package func size() -> (bots: Int, targets: Int) {
        (bots.count, bots.reduce(0) { $0 + $1.targets.count })
    }
}
