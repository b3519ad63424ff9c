import FoundationEssentials
import Logging
import NIOPosix
import BotStatsProtocol

/// What the engine's persistence loop works from: bots to write, `set`s waiting for theirs to be
/// durable, and what is known to be on disk.
struct PersistenceQueue<Instant: InstantProtocol> {
    /// Bots whose outcomes changed and are not written yet.
    var dirty: Set<String> = []
    /// When the dirty bots are due: a short pause lets a round over many lists write each bot once.
    var dirtyDue: Instant?
    /// `set` calls waiting for their bot's counts to be on disk, by bot.
    var waiting: [String: [CheckedContinuation<StateFileError?, Never>]] = [:]
    /// Each bot as its file last held it, for putting back counts that could not be saved.
    var durable: [String: PersistedBot] = [:]
    /// Whether the loop runs; before and after it, a `set` is written in place.
    var running = false
    /// The loop, while it waits for work; `urgentOnly` while it waits for dirty bots to come due.
    var wake: (continuation: CheckedContinuation<Void, Never>, urgentOnly: Bool)?
    /// The last write error logged, so a disk that stays full is not reported on every write.
    var lastError: String?
    /// Batches written so far (each one write per bot in it and one flush).
    var batchesWritten = 0
}

/// Bots to write in one go, and the `set`s that wait for them. Taken only while holding the
/// engine's write gate, so an older batch is never written after a newer one.
struct PersistenceBatch: Sendable {
    var bots: [(name: String, bot: PersistedBot)]
    var waiting: [String: [CheckedContinuation<StateFileError?, Never>]]
}

/// What the persistence loop does next.
enum PersistenceStep<Instant: Sendable>: Sendable {
    case write
    case waitUntil(Instant)
    case wait
}

extension PostingEngine {
    /// Writes the state as it changes: `set`s at once, sharing one write and one flush when they
    /// arrive together (a group commit); outcomes after a short pause. Runs until cancelled, then
    /// writes whatever is left before it returns.
    ///
    /// Files are written on NIO's blocking thread pool, so the engine keeps taking `set`s (for
    /// the next batch) while a batch is flushed.
    nonisolated func persistenceLoop() async {
        await setPersistenceRunning(true)
        while !Task.isCancelled {
            switch await nextPersistenceStep() {
            case .write:
                await writeGate.runToCompletion { await self.writeBatch(onThreadPool: true) }
            case .waitUntil(let due):
                await untilDeadline(due, on: clock) { await self.waitForPersistenceWork(urgentOnly: true) }
            case .wait:
                await waitForPersistenceWork(urgentOnly: false)
            }
        }
        await setPersistenceRunning(false)
        await flush()
    }

    /// Writes every dirty bot and answers every waiting `set` now, after any write under way.
    package func flush() async {
        await writeGate.runToCompletion { await self.writeBatch(onThreadPool: false) }
    }

    /// Takes the batch and writes it: on NIO's blocking thread pool, so the engine goes on taking
    /// `set`s meanwhile, or here.
    private func writeBatch(onThreadPool: Bool) async {
        let batch = takeBatch()
        guard !batch.bots.isEmpty || !batch.waiting.isEmpty else { return }
        persistence.batchesWritten += 1
        let stateFile = self.stateFile
        let bots = batch.bots
        var failures: [String: StateFileError]?
        if onThreadPool {
            failures = try? await NIOThreadPool.singleton.runIfActive { stateFile.save(bots: bots) }
        }
        finishWrite(batch, failures: failures ?? stateFile.save(bots: bots))
    }

    private func setPersistenceRunning(_ running: Bool) {
        persistence.running = running
    }

    private func nextPersistenceStep() -> PersistenceStep<C.Instant> {
        if !persistence.waiting.isEmpty { return .write }
        guard !persistence.dirty.isEmpty else { return .wait }
        if let due = persistence.dirtyDue, clock.now < due { return .waitUntil(due) }
        return .write
    }

    /// Suspends until a `set` (or, unless `urgentOnly`, any change) wants writing, or the task is
    /// cancelled.
    ///
    /// The loop decided to wait in an earlier turn on the actor; what arrived since (a `set` whose
    /// wake-up found nobody waiting) is looked at here, in the same turn that parks the loop, or
    /// that `set` would wait for the next one to come.
    private func waitForPersistenceWork(urgentOnly: Bool) async {
        guard !Task.isCancelled else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if !persistence.waiting.isEmpty || (!urgentOnly && !persistence.dirty.isEmpty) {
                    continuation.resume()
                    return
                }
                persistence.wake = (continuation, urgentOnly)
            }
        } onCancel: {
            Task { await self.wakePersistence(urgent: true) }
        }
    }

    private func wakePersistence(urgent: Bool) {
        guard let wake = persistence.wake, urgent || !wake.urgentOnly else { return }
        persistence.wake = nil
        wake.continuation.resume()
    }

    /// Takes every dirty bot and every waiting `set` into one batch.
    private func takeBatch() -> PersistenceBatch {
        let names = persistence.dirty.union(persistence.waiting.keys)
        var batch = PersistenceBatch(bots: [], waiting: persistence.waiting)
        for b in bots.indices where names.contains(bots[b].settings.name) {
            batch.bots.append((bots[b].settings.name, persistedBot(b)))
        }
        persistence.dirty = []
        persistence.dirtyDue = nil
        persistence.waiting = [:]
        return batch
    }

    private func finishWrite(_ batch: PersistenceBatch, failures: [String: StateFileError]) {
        for (name, bot) in batch.bots {
            if let failure = failures[name] {
                failed(bot: name, failure, waiting: batch.waiting[name] ?? [])
            } else {
                persistence.durable[name] = bot
                if persistence.lastError != nil {
                    logger.notice("state written again", metadata: ["bot.name": "\(name)"])
                    persistence.lastError = nil
                }
                for waiter in batch.waiting[name] ?? [] { waiter.resume(returning: nil) }
            }
        }
        // A bot removed by a reload while its write waited: its `set`s are answered all the same.
        for (name, waiters) in batch.waiting where !batch.bots.contains(where: { $0.name == name }) {
            for waiter in waiters { waiter.resume(returning: nil) }
        }
    }

    /// Counts that could not be saved are not in force: the bot's counts go back to what its file
    /// holds, and every `set` that built on them fails, those waiting for the next write too.
    /// Outcomes are tried again with the next change.
    private func failed(bot name: String, _ failure: StateFileError, waiting: [CheckedContinuation<StateFileError?, Never>]) {
        if persistence.lastError != failure.description {
            logger.error("\(failure.description)", metadata: ["bot.name": "\(name)"])
            persistence.lastError = failure.description
        }
        let builtOn = waiting + (persistence.waiting.removeValue(forKey: name) ?? [])
        if !builtOn.isEmpty, let b = indexOfBot(name) {
            bots[b].persisted.restoreCounts(from: persistence.durable[name] ?? PersistedBot(id: bots[b].settings.id))
        }
        persistence.dirty.insert(name)
        persistence.dirtyDue = clock.now.advanced(by: .seconds(5))
        for waiter in builtOn { waiter.resume(returning: failure) }
    }

    /// Waits until bot `name`'s state, as it is now, is on disk; the error when it could not be
    /// written (its counts are then back to what the file holds).
    func commit(bot name: String) async -> StateFileError? {
        guard stateFile.writable else { return nil }
        guard persistence.running else {
            // No loop (yet, or any more): written here and now, alone.
            guard let b = indexOfBot(name) else { return nil }
            let snapshot = persistedBot(b)
            if let failure = stateFile.save(bots: [(name, snapshot)])[name] {
                failed(bot: name, failure, waiting: [])
                bots[b].persisted.restoreCounts(from: persistence.durable[name] ?? PersistedBot(id: bots[b].settings.id))
                return failure
            }
            persistence.durable[name] = snapshot
            return nil
        }
        return await withCheckedContinuation { continuation in
            persistence.waiting[name, default: []].append(continuation)
            wakePersistence(urgent: true)
        }
    }

    /// Writes bot `name`'s state soon; outcomes are batched so a round over many lists writes
    /// each bot once.
    func scheduleSave(bot name: String) {
        persistence.dirty.insert(name)
        if persistence.dirtyDue == nil { persistence.dirtyDue = clock.now.advanced(by: .milliseconds(200)) }
        wakePersistence(urgent: false)
    }

    /// Marks bots to be written at once (a reload changed them).
    func saveSoon(bots names: some Sequence<String>) {
        persistence.dirty.formUnion(names)
        persistence.dirtyDue = clock.now
        wakePersistence(urgent: false)
    }

    /// Writes every dirty bot and answers every waiting `set`, here and now: the end of a stop,
    /// once the persistence loop has ended (no write of its can be under way).
    ///
    /// - Returns: why the state is not all on disk, or nil when it is.
    func writeEverythingNow() -> String? {
        let batch = takeBatch()
        let failures = stateFile.save(bots: batch.bots)
        finishWrite(batch, failures: failures)
        return failures.values.first?.description ?? persistence.lastError
    }

    /// Remembers what the state files held at start, for putting back counts a write fails to save.
    func rememberLoadedState() {
        for bot in bots { persistence.durable[bot.settings.name] = bot.persisted }
    }

    /// Bot `b` as its state file holds it: counts plus every target's state, read from its
    /// state machine (`TargetStateMachine.persisted(now:wallNow:)`), the one place it lives.
    func persistedBot(_ b: Int) -> PersistedBot {
        let now = clock.now
        let wallNow = wallClock()
        var persisted = bots[b].persisted
        persisted.targets = [:]
        for target in bots[b].targets {
            persisted.targets[target.settings.name] = target.machine.persisted(now: now, wallNow: wallNow)
        }
        return persisted
    }
}
