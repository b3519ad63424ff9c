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
    public nonisolated func run() async {
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
            guard let b = bots.firstIndex(where: { $0.settings.name == bot && $0.generation == generation }) else { return }
            logger.error("a bot's repost timer ended unexpectedly; restarting it", metadata: ["bot.name": "\(bot)"])
            let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            bots[b].repostWake = wake
            bots[b].repostWakes = wakes
            spawnContinuation.yield(.repost(bot: bot, generation: generation, wakes: wakes))
            wake.yield()
        }
    }

    /// No new request starts from here on; idle workers end at once.
    func beginStopping() {
        stopping = true
        logger.notice("stopping: waiting for in-flight posts", metadata: ["in_flight": "\(inFlightCount())"])
        for bot in bots {
            bot.repostWake.finish()
            for target in bot.targets { target.wake.finish() }
        }
    }

    func inFlightCount() -> Int {
        bots.reduce(0) { $0 + $1.targets.filter { $0.sending != nil }.count }
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
                bots[b].targets[t].sending = nil
            }
        }
        // The persistence loop wrote everything before it ended; anything changed since is written now.
        writeEverythingNow()
        logger.notice("state saved; stopped")
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
            guard let counts = bots[b].persisted.counts else { return .idle }
            let runtime = bots[b].targets[t]
            bots[b].targets[t].sending = version
            let request = requestBuilder.request(for: runtime.settings, botID: bots[b].settings.id, counts: counts)
            return .send(request, version: version, timeout: retryPolicy.settings.timeout)
        }
    }

    func complete(
        bot: String, target targetName: String, generation: Int, version: UInt64, result: Result<TransportResponse, PostFailure>
    ) {
        guard let (b, t) = locate(bot: bot, target: targetName, generation: generation) else { return }
        let now = clock.now
        let wallNow = wallClock()
        var target = bots[b].targets[t]
        target.sending = nil
        defer {
            if stopping, inFlightCount() == 0 { resumeDrainWaiter() }
        }
        if dryRun {
            // Nothing was sent, so nothing was accepted: no status, no success, no delivery.
            target.machine.recordNotSent()
            target.record.lastAttemptAt = wallNow
            target.record.lastStatus = nil
            target.record.lastError = nil
            bots[b].targets[t] = target
            resolveWaiters(botIndex: b, targetIndex: t, outcome: .dryRun, sent: version)
            return
        }
        var failure: PostFailure?
        var reading = RateLimitReading()
        let logMetadata: Logger.Metadata = [
            "bot.name": "\(bots[b].settings.name)", "target.name": "\(target.settings.name)",
        ]
        switch result {
        case .success(let response):
            reading = RateLimitParser.parse(
                status: response.status, headers: response.headers, body: response.body, localNow: wallNow,
                logger: logger)
            target.record.lastStatus = response.status
            if !(200..<300).contains(response.status) {
                failure = .status(response.status)
                target.record.lastError = describe(status: response.status, body: response.body)
            } else {
                target.record.lastError = nil
            }
            if reading.limit != nil || reading.remaining != nil || reading.resetIn != nil {
                target.record.rateLimit = RateLimitWindow(
                    limit: reading.limit, remaining: reading.remaining,
                    resetAt: reading.resetIn.map { wallNow.addingTimeInterval($0.seconds) })
            }
        case .failure(let postFailure):
            failure = postFailure
            target.record.lastStatus = nil
            switch postFailure {
            case .timeout:
                target.record.lastError = "no answer within \(DurationText.format(retryPolicy.settings.timeout))"
            case .connection(let message):
                target.record.lastError = "connection failed: " + SafeText(message, redactor: redactor).text
            case .status(let code):
                target.record.lastError = "HTTP \(code)"
            }
        }
        let resolution = target.machine.record(
            failure: failure, requiredWait: reading.requiredWait, now: now, unitRandom: random())
        target.record.lastAttemptAt = wallNow
        if let failure {
            target.record.failureClasses[failure.metricsClass, default: 0] += 1
        } else {
            target.record.lastSuccessAt = wallNow
            target.record.deliveredVersion = max(target.record.deliveredVersion, version)
            bots[b].persisted.lastPostedAt = wallNow
        }
        logOutcome(target: &target, failure: failure, resolution: resolution, metadata: logMetadata)
        bots[b].targets[t] = target
        switch resolution {
        case .delivered: resolveWaiters(botIndex: b, targetIndex: t, outcome: .delivered, sent: version)
        case .failed: resolveWaiters(botIndex: b, targetIndex: t, outcome: .failed, sent: version)
        case .deferred: resolveWaiters(botIndex: b, targetIndex: t, outcome: .deferred, sent: version)
        case nil: break  // a retry follows; `step` answers if it has to wait for it
        }
        scheduleSave(bot: bots[b].settings.name)
        if resolution != nil, !bots[b].targets.contains(where: { $0.sending != nil }) {
            statusListener?(statusLine())
        }
    }

    /// What a list's non-2xx answer means, for status and the log: the status, a hint, and what
    /// the list said, made safe (escape sequences removed, tokens redacted in any form, then cut
    /// to 300 bytes).
    private func describe(status: Int, body: [UInt8]) -> String {
        let hint: String
        switch status {
        case 401, 403: hint = " (check the token)"
        case 404: hint = " (check the bot id and the provider's base_url)"
        case 300..<400: hint = " (redirects are not followed; check base_url)"
        default: hint = ""
        }
        let detail = SafeText(utf8: body, redactor: redactor).text
        return "HTTP \(status)\(hint)" + (detail.isEmpty ? "" : ": " + detail)
    }

    private func logOutcome(
        target: inout TargetRuntime, failure: PostFailure?,
        resolution: TargetStateMachine<C.Instant>.Resolution?, metadata: Logger.Metadata
    ) {
        var metadata = metadata
        metadata["target.state"] = "\(target.machine.state.rawValue)"
        if let status = target.record.lastStatus { metadata["http.status"] = "\(status)" }
        guard failure != nil else {
            let suppressed = target.failureLog.recovered()
            if let suppressed {
                metadata["failures.unlogged"] = "\(suppressed)"
                logger.notice("posted again after failures", metadata: metadata)
            } else {
                logger.info("posted", metadata: metadata)
            }
            return
        }
        let error = target.record.lastError ?? ""
        metadata["error"] = "\(error)"
        if let notBefore = target.machine.notBefore {
            metadata["next_attempt_at"] = "\(RFC3339.format(date(of: notBefore)))"
        }
        let kind: String
        let message: String
        let level: Logger.Level
        switch resolution {
        case nil:
            (kind, message, level) = ("retry", "post failed; retrying", .warning)
        case .deferred:
            (kind, message, level) = ("deferred", "list asked for a long wait; post deferred", .warning)
        case .failed, .delivered:
            (kind, message, level) = ("failed", "post failed; giving up until the next repost", .error)
        }
        guard let unlogged = target.failureLog.shouldLog(kind: kind, error: error) else {
            logger.debug("\(message) (same failure as before; not logged again)", metadata: metadata)
            return
        }
        if unlogged > 0 { metadata["repeats.unlogged"] = "\(unlogged)" }
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    // MARK: - Repost timer

    nonisolated func repostLoop(bot: String, generation: Int, wakes: AsyncStream<Void>) async {
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            switch await repostWait(bot: bot, generation: generation) {
            case .stop, .send:
                return
            case .idle:
                guard await iterator.next() != nil else { return }
            case .wait(let wait) where wait > .zero:
                do { try await clock.sleep(for: wait) } catch { if Task.isCancelled { return } }
            case .wait:
                // Due: either a post round starts, or Discord is asked for the counts first.
                if case .send(let request, _, let timeout) = await repostIfDue(bot: bot, generation: generation) {
                    let result = await transport.send(request, timeout: timeout)
                    await completeFetch(bot: bot, generation: generation, result: result)
                }
            }
        }
    }

    /// How long until the bot's next repost: `.idle` while it has no counts, `.stop` once it is gone.
    func repostWait(bot: String, generation: Int) -> WorkerStep {
        guard !stopping, let b = bots.firstIndex(where: { $0.settings.name == bot && $0.generation == generation }) else {
            return .stop
        }
        guard let next = bots[b].nextRepost else { return .idle }
        return .wait(max(.zero, clock.now.duration(to: next)))
    }

    /// Starts the due post round, or returns the Discord request to make first (`source = "discord"`).
    func repostIfDue(bot: String, generation: Int) -> WorkerStep {
        guard let b = bots.firstIndex(where: { $0.settings.name == bot && $0.generation == generation }),
              let next = bots[b].nextRepost, clock.now >= next
        else { return .idle }
        if case .discord(let token, let baseURL) = bots[b].settings.source {
            if let notBefore = bots[b].fetch.notBefore, clock.now < notBefore {
                bots[b].nextRepost = notBefore
                return .idle
            }
            let request = DiscordFetchState<C.Instant>.request(baseURL: baseURL, token: token, userAgent: requestBuilder.userAgent)
            return .send(request, version: 0, timeout: retryPolicy.settings.timeout)
        }
        logger.debug("repost due", metadata: ["bot.name": "\(bot)"])
        triggerPostRound(botIndex: b)
        return .idle
    }

    /// Takes Discord's answer: new counts go through the drop guard and are posted; a failure is
    /// retried under Discord's rate limit or, at last, the cached counts are posted again.
    func completeFetch(bot: String, generation: Int, result: Result<TransportResponse, PostFailure>) {
        guard let b = bots.firstIndex(where: { $0.settings.name == bot && $0.generation == generation }) else { return }
        let now = clock.now
        let wallNow = wallClock()
        bots[b].fetch.lastFetchAt = wallNow
        var reading = RateLimitReading()
        var failure: PostFailure?
        var servers: Int?
        switch result {
        case .success(let response):
            reading = RateLimitParser.parse(
                status: response.status, headers: response.headers, body: response.body, localNow: wallNow, logger: logger)
            if (200..<300).contains(response.status) {
                switch DiscordFetchState<C.Instant>.servers(in: response.body) {
                case .success(let count): servers = count
                case .failure(let error): bots[b].fetch.lastError = error.message
                }
            } else {
                failure = .status(response.status)
                bots[b].fetch.lastError = "Discord answered HTTP \(response.status)"
                    + (response.status == 401 ? " (check discord_token)" : "")
            }
        case .failure(let postFailure):
            failure = postFailure
            bots[b].fetch.lastError = postFailure == .timeout
                ? "Discord did not answer in time" : "cannot reach Discord: " + SafeText("\(postFailure)", redactor: redactor).text
        }
        let metadata: Logger.Metadata = ["bot.name": "\(bot)"]
        if let servers {
            bots[b].fetch.failedAttempts = 0
            bots[b].fetch.lastError = nil
            bots[b].fetch.notBefore = reading.requiredWait.map { now.advanced(by: $0) }
            var updated = bots[b].persisted
            let outcome = (try? CountsIntake.apply(
                CountsUpdate(servers: servers), to: &updated, dropGuard: bots[b].settings.dropGuard, repostInterval: bots[b].settings.repostInterval, now: wallNow))
            bots[b].persisted = updated
            if case .held(let held)? = outcome {
                logger.warning("counts from Discord held back", metadata: metadata.merging(["reason": "\(held.reason)"]) { $1 })
            } else {
                logger.info("counts fetched from Discord", metadata: metadata.merging(["servers": "\(servers)"]) { $1 })
            }
            scheduleSave(bot: bot)
        } else {
            bots[b].fetch.failedAttempts += 1
            let wait = reading.requiredWait
            let retryable = failure.map(RetryPolicy.isRetryable) ?? false
            if retryable, bots[b].fetch.failedAttempts < retryPolicy.settings.maxAttempts,
               (wait ?? .zero) <= retryPolicy.settings.maxDelay
            {
                let delay = retryPolicy.delay(afterFailedAttempts: bots[b].fetch.failedAttempts, floor: wait, unitRandom: random())
                bots[b].fetch.notBefore = now.advanced(by: delay)
                bots[b].nextRepost = now.advanced(by: delay)
                logger.debug("Discord fetch failed; retrying", metadata: metadata.merging(["error": "\(bots[b].fetch.lastError ?? "")"]) { $1 })
                return
            }
            bots[b].fetch.failedAttempts = 0
            bots[b].fetch.notBefore = wait.map { now.advanced(by: $0) }
            logger.error(
                "could not fetch counts from Discord; keeping the last counts",
                metadata: metadata.merging(["error": "\(bots[b].fetch.lastError ?? "")"]) { $1 })
        }
        if bots[b].persisted.counts != nil {
            triggerPostRound(botIndex: b)
        } else {
            bots[b].nextRepost = now.advanced(by: bots[b].settings.repostInterval)
        }
    }
}
