import FoundationEssentials
import Logging
import BotStatsProtocol

/// Each bot's repost timer, and before each repost of a `source = "discord"` bot, the fetch of
/// its counts from Discord.
extension PostingEngine {
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
                    // Cut off by a stop (or still waiting for a request slot when it came): not
                    // an answer from Discord, so nothing is recorded.
                    if Task.isCancelled { return }
                    await completeFetch(bot: bot, generation: generation, result: result)
                }
            }
        }
    }

    /// How long until the bot's next repost: `.idle` while it has no counts, `.stop` once it is gone.
    func repostWait(bot: String, generation: Int) -> WorkerStep {
        guard !stopping, let b = indexOfBot(bot, generation: generation) else {
            return .stop
        }
        guard let next = bots[b].nextRepost else { return .idle }
        return .wait(max(.zero, clock.now.duration(to: next)))
    }

    /// Starts the due post round, or returns the Discord request to make first (`source = "discord"`).
    func repostIfDue(bot: String, generation: Int) -> WorkerStep {
        guard let b = indexOfBot(bot, generation: generation),
            let next = bots[b].nextRepost, clock.now >= next
        else { return .idle }
        if case .discord(let token, let baseURL) = bots[b].settings.source {
            if let heldUntil = bots[b].fetch.heldUntil(now: clock.now) {
                bots[b].nextRepost = heldUntil
                return .idle
            }
            let request = DiscordFetchState<C.Instant>.request(baseURL: baseURL, token: token, userAgent: requestBuilder.userAgent)
            return .send(request, version: 0, timeout: retryPolicy.settings.timeout)
        }
        logger.debug("repost due", metadata: ["bot.name": "\(bot)"])
        triggerPostRound(botIndex: b)
        return .idle
    }

    /// Hands Discord's answer to the bot's fetch state and applies what it decided: new counts go
    /// through the drop guard and are posted; a failed fetch is asked again when the fetch state
    /// says, or the cached counts are posted again.
    func completeFetch(bot: String, generation: Int, result: Result<TransportResponse, PostFailure>) {
        guard let b = indexOfBot(bot, generation: generation) else { return }
        let now = clock.now
        let wallNow = wallClock()
        let outcome = bots[b].fetch.record(
            response: result, now: now, wallNow: wallNow, policy: retryPolicy, unitRandom: random(), redactor: redactor)
        let context = ["bot.name": bot]
        for entry in outcome.log { entry.write(to: logger, context: context) }
        switch outcome.next {
        case .counts(let servers):
            var updated = bots[b].persisted
            let intake = try? CountsIntake.apply(
                CountsUpdate(servers: servers), to: &updated, dropGuard: bots[b].settings.dropGuard,
                repostInterval: bots[b].settings.repostInterval, now: wallNow)
            bots[b].persisted = updated
            let metadata: Logger.Metadata = ["bot.name": "\(bot)"]
            if case .held(let held)? = intake {
                logger.warning("counts from Discord held back", metadata: metadata.merging(["reason": "\(held.reason)"]) { $1 })
            } else {
                logger.info("counts fetched from Discord", metadata: metadata.merging(["servers": "\(servers)"]) { $1 })
            }
            scheduleSave(bot: bot)
        case .retry(let at):
            bots[b].nextRepost = at
            return
        case .keepLastCounts:
            break
        }
        if bots[b].persisted.counts != nil {
            triggerPostRound(botIndex: b)
        } else {
            bots[b].nextRepost = now.advanced(by: bots[b].settings.repostInterval)
        }
    }
}
