import FoundationEssentials
import Logging
import ServiceLifecycle
import BotStatsProtocol

/// What a target worker does next, decided inside the engine.
enum WorkerStep: Sendable {
    case idle
    case wait(Duration)
    case send(OutgoingRequest, version: UInt64, timeout: Duration)
    case stop
}

extension PostingEngine: Service {
    /// Runs one worker per target and one repost timer per bot until a graceful shutdown or
    /// cancellation, then gives in-flight posts `shutdownGrace` to finish and saves the state.
    ///
    /// Workers are started from the `spawns` stream, so a reload can add lists while running.
    /// It never throws: stopping is the normal end, and a thrown error would make the daemon
    /// exit 1 and leave its unit `failed`.
    package nonisolated func run() async {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.persistenceLoop() }
                for await spawn in self.spawns {
                    switch spawn {
                    case .target(let bot, let target, let generation, let wakes):
                        group.addTask {
                            await self.targetWorker(bot: bot, target: target, generation: generation, wakes: wakes)
                            await self.workerEnded(.target(bot: bot, target: target, generation: generation, wakes: wakes))
                        }
                    case .repost(let bot, let generation, let wakes):
                        group.addTask {
                            await self.repostLoop(bot: bot, generation: generation, wakes: wakes)
                            await self.workerEnded(.repost(bot: bot, generation: generation, wakes: wakes))
                        }
                    }
                }
                await self.beginStopping()
                await self.awaitInFlightRequests(until: self.clock.now.advanced(by: self.shutdownGrace))
                // Sleeping workers and requests still out after the grace end here; a post cut
                // off is sent again at the next start (its counts are not marked delivered).
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.spawnContinuation.finish()
        }
        await finishStopping()
    }

    /// A worker returned. While the daemon runs and its target or bot is still configured, that
    /// must not happen (its list would silently never be posted to again): it is logged and
    /// started anew, with a fresh wake-up stream.
    func workerEnded(_ worker: WorkerSpawn) {
        guard !stopping else { return }
        switch worker {
        case .target(let bot, let target, let generation, _):
            guard let (b, t) = locate(bot: bot, target: target, generation: generation) else { return }
            logger.error(
                "a target's worker ended unexpectedly; restarting it",
                metadata: ["bot.name": "\(bot)", "target.name": "\(target)"])
            let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            bots[b].targets[t].wake = wake
            bots[b].targets[t].wakes = wakes
            spawnContinuation.yield(.target(bot: bot, target: target, generation: generation, wakes: wakes))
            wake.yield()
        case .repost(let bot, let generation, _):
            guard let b = indexOfBot(bot, generation: generation) else { return }
            logger.error("a bot's repost timer ended unexpectedly; restarting it", metadata: ["bot.name": "\(bot)"])
            let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            bots[b].repostWake = wake
            bots[b].repostWakes = wakes
            spawnContinuation.yield(.repost(bot: bot, generation: generation, wakes: wakes))
            wake.yield()
        }
    }

    /// No post round starts from here on and idle workers end at once. Posts already decided on
    /// (sending, or waiting for a request slot) go out during the grace; those cut off at its end
    /// are not recorded and go out again at the next start.
    func beginStopping() {
        stopping = true
        logger.notice("stopping: waiting for in-flight posts", metadata: ["in_flight": "\(inFlightCount())"])
        for bot in bots {
            bot.repostWake.finish()
            for target in bot.targets { target.wake.finish() }
        }
    }

    func inFlightCount() -> Int {
        targetTally().inFlight
    }

    /// Returns when no request is in flight any more, at `deadline`, or on cancellation,
    /// whichever comes first.
    nonisolated func awaitInFlightRequests(until deadline: C.Instant) async {
        await untilDeadline(deadline, on: clock) { await self.inFlightRequestsFinished() }
    }

    /// Suspends until `complete` records the last in-flight request while stopping.
    func inFlightRequestsFinished() async {
        guard inFlightCount() > 0, !Task.isCancelled else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                drainWaiter = continuation
            }
        } onCancel: {
            Task { await self.resumeDrainWaiter() }
        }
    }

    func resumeDrainWaiter() {
        drainWaiter?.resume()
        drainWaiter = nil
    }

    func finishStopping() {
        stopping = true
        resumeDrainWaiter()
        for b in bots.indices {
            for t in bots[b].targets.indices {
                resolveWaiters(botIndex: b, targetIndex: t, outcome: .stopped)
            }
        }
        // The persistence loop wrote everything before it ended; anything changed since is written now.
        if let unsaved = writeEverythingNow() {
            logger.error("stopped; the state could not be saved: \(unsaved)")
        } else {
            logger.notice("state saved; stopped")
        }
    }

    // MARK: - Target worker

    nonisolated func targetWorker(bot: String, target: String, generation: Int, wakes: AsyncStream<Void>) async {
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            switch await step(bot: bot, target: target, generation: generation) {
            case .stop:
                return
            case .idle:
                guard await iterator.next() != nil else { return }
            case .wait(let duration):
                do { try await clock.sleep(for: duration) } catch { if Task.isCancelled { return } }
            case .send(let request, let version, let timeout):
                let result = await transport.send(request, timeout: timeout)
                // Cut off by a stop: what the list made of it is unknown, so nothing is recorded;
                // the counts stay undelivered and go out again at the next start.
                if Task.isCancelled { return }
                await complete(bot: bot, target: target, generation: generation, version: version, result: result)
            }
        }
    }

    func step(bot: String, target: String, generation: Int) -> WorkerStep {
        guard !stopping, let (b, t) = locate(bot: bot, target: target, generation: generation) else { return .stop }
        guard let counts = bots[b].persisted.counts else { return .idle }
        let now = clock.now
        switch bots[b].targets[t].machine.nextAction(now: now) {
        case .idle:
            resolveWaiters(botIndex: b, targetIndex: t, outcome: .delivered)
            return .idle
        case .wait(let until):
            // A `post` is never held through a cooldown: it is answered now with the state and
            // the next attempt, and the counts still go out when the list allows.
            resolveWaiters(botIndex: b, targetIndex: t, outcome: waitingOutcome(bots[b].targets[t]))
            return .wait(now.duration(to: until))
        case .send(_, let version):
            let request = requestBuilder.request(for: bots[b].targets[t].settings, botID: bots[b].settings.id, counts: counts)
            return .send(request, version: version, timeout: retryPolicy.settings.timeout)
        }
    }

    /// Hands the answer to the target's state machine and applies what it decided: the log lines,
    /// the bot's `last_posted_at`, the answers to waiting `post` calls, a save, `STATUS=`.
    func complete(
        bot: String, target targetName: String, generation: Int, version: UInt64, result: Result<TransportResponse, PostFailure>
    ) {
        guard let (b, t) = locate(bot: bot, target: targetName, generation: generation) else { return }
        defer {
            if stopping, inFlightCount() == 0 { resumeDrainWaiter() }
        }
        let wallNow = wallClock()
        let outcome =
            dryRun
            ? bots[b].targets[t].machine.recordNotSent(wallNow: wallNow)
            : bots[b].targets[t].machine.record(
                response: result, now: clock.now, wallNow: wallNow, unitRandom: random(), redactor: redactor)
        let context = ["bot.name": bots[b].settings.name, "target.name": bots[b].targets[t].settings.name]
        for entry in outcome.log { entry.write(to: logger, context: context) }
        if outcome.delivered { bots[b].persisted.lastPostedAt = wallNow }
        if let answer = outcome.answer { resolveWaiters(botIndex: b, targetIndex: t, outcome: answer, sent: version) }
        guard outcome.persist else { return }
        scheduleSave(bot: bots[b].settings.name)
        if outcome.resolution != nil, !bots[b].targets.withUnsafeBufferPointer({ $0.contains { $0.isSending } }) {
            statusListener?(statusLine())
        }
    }
}
