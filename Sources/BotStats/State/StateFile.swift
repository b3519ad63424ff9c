import FoundationEssentials
import Logging

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Reads and atomically writes the daemon's state: one file per bot, `bots/<name>.json` in the
/// state directory.
///
/// One file per bot keeps a `set` cheap however many bots a daemon carries: it rewrites only its
/// own bot. A write is: a new temporary file with an unpredictable name in the same directory,
/// `fsync`, `rename` over the old file, `fsync` of the directory, so a crash at any moment leaves
/// either the old or the new file, whole. Everything goes through a descriptor of `bots` opened
/// without following links (see ``BotsDirectory``): a `bots` that is a symlink is refused, and a
/// link planted at any file name is never written or read through. Files are created 0600, `bots`
/// 0700.
///
/// A file that does not parse, has an unknown format, is not a regular file, or holds counts no
/// `set` could have stored is moved aside (`<name>.json.corrupt-<time>`) with a warning, never
/// overwritten and never fatal. Values that are merely out of range (counters near `Int.max`,
/// times written under a clock that ran ahead) are brought into range as the file is loaded; see
/// ``PersistedBot/clampForLoad(now:maxWait:)``.
///
/// A read-only state file (`--dry-run`) reads what is there and writes nothing: a dry run must
/// not leave the real daemon believing its counts were posted. The writable one assumes it is the
/// only writer: the daemon holds ``StateDirectoryLock`` before it loads, which is what makes
/// removing leftover temporary files at load safe.
package struct StateFile: Sendable {
    package let directory: String
    /// False for a dry run: saving does nothing and bad files are skipped, not moved aside.
    package let writable: Bool
    /// Where the per-bot files live.
    package var botsDirectory: String { directory + "/bots" }

    package init(directory: String, writable: Bool = true) {
        self.directory = directory
        self.writable = writable
    }

    /// The file holding bot `name`.
    package func path(forBot name: String) -> String { "\(botsDirectory)/\(name).json" }

    /// Largest state file read. A bot with 100,000 shards writes about 15 MiB; anything far beyond
    /// is not ours and would only cost memory.
    static let maxFileBytes = 64 << 20

    private struct BotFile: Codable {
        var format: Int
        var bot: PersistedBot
    }

    /// Every saved bot; unusable files are moved aside and skipped, out-of-range values are
    /// brought into range against `now`, and (when writable) temporary files an interrupted write
    /// left behind are removed.
    package func load(logger: Logger, now: Date = Date()) -> PersistedState {
        var state = PersistedState()
        let bots: BotsDirectory
        do {
            guard let opened = try BotsDirectory.open(stateDirectory: directory, create: false) else { return state }
            bots = opened
        } catch {
            logger.error("saved state not loaded: every bot starts empty", metadata: ["error": "\(error.reason)", "file": "\(error.path)"])
            return state
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .rfc3339
        for file in bots.entryNames().sorted() {
            let path = "\(bots.path)/\(file)"
            if file.hasSuffix(".tmp") {
                removeLeftover(file, in: bots, logger: logger)
                continue
            }
            guard file.hasSuffix(".json"), !file.hasPrefix(".") else { continue }
            let data: Data
            switch bots.read(file, limit: Self.maxFileBytes) {
            case .missing:
                continue
            case .unreadable(let reason):
                logger.warning("state file cannot be read; that bot starts empty", metadata: ["file": "\(path)", "error": "\(reason)"])
                continue
            case .unusable(let reason):
                moveAside(file, in: bots, reason: reason, logger: logger, now: now)
                continue
            case .contents(let bytes):
                data = Data(bytes)
            }
            guard let saved = try? decoder.decode(BotFile.self, from: data) else {
                moveAside(file, in: bots, reason: "does not parse", logger: logger, now: now)
                continue
            }
            guard saved.format == PersistedState.currentFormat else {
                moveAside(file, in: bots, reason: "has unknown format \(saved.format)", logger: logger, now: now)
                continue
            }
            if let problem = saved.bot.unusableReason() {
                moveAside(file, in: bots, reason: "holds a value no set could have stored (\(problem))", logger: logger, now: now)
                continue
            }
            var bot = saved.bot
            let adjusted = bot.clampForLoad(now: now)
            if !adjusted.isEmpty {
                logger.warning(
                    "state file held values out of range (written under a wrong clock, or edited); they were brought into range",
                    metadata: ["file": "\(path)", "fields": "\(adjusted.prefix(20).joined(separator: ", "))"])
            }
            state.bots[String(file.dropLast(".json".count))] = bot
        }
        return state
    }

    /// A temporary file is only ever a copy on its way to becoming a state file, so one left by a
    /// crash is garbage. Only the lock holder may remove it: another daemon's write in progress
    /// would lose its file between create and rename.
    private func removeLeftover(_ file: String, in bots: BotsDirectory, logger: Logger) {
        guard writable else { return }
        if let error = bots.remove(file) {
            logger.warning(
                "a temporary state file left by an interrupted write cannot be removed", metadata: ["file": "\(error.path)", "error": "\(error.reason)"])
        } else {
            logger.info("removed a temporary state file left by an interrupted write", metadata: ["file": "\(bots.path)/\(file)"])
        }
    }

    private func moveAside(_ file: String, in bots: BotsDirectory, reason: String, logger: Logger, now: Date) {
        let path = "\(bots.path)/\(file)"
        guard writable else {
            logger.warning("state file \(reason); dry run, so it is left in place and that bot starts empty", metadata: ["file": "\(path)"])
            return
        }
        switch bots.moveAside(file, stamp: Int(now.timeIntervalSince1970)) {
        case .success(let target):
            logger.warning(
                "state file \(reason); moved aside, that bot starts with empty state",
                metadata: ["file": "\(path)", "moved_to": "\(bots.path)/\(target)"])
        case .failure(let error):
            logger.warning(
                "state file \(reason) and could not be moved aside; that bot starts with empty state",
                metadata: ["file": "\(path)", "error": "\(error.reason)"])
        }
    }

    /// Writes one bot's file atomically and durably.
    package func save(bot name: String, _ bot: PersistedBot) throws(StateFileError) {
        if let failure = save(bots: [(name, bot)])[name] { throw failure }
    }

    /// Writes several bots' files atomically and durably, sharing one flush (see
    /// `BotsDirectory.writeAtomically(_:)`): a group commit of everything that changed together.
    ///
    /// - Returns: the bots whose files could not be written, with why; empty when all were.
    package func save(bots batch: [(name: String, bot: PersistedBot)]) -> [String: StateFileError] {
        guard writable, !batch.isEmpty else { return [:] }
        var failures: [String: StateFileError] = [:]
        var files: [(name: String, bytes: [UInt8])] = []
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .rfc3339
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        for (name, bot) in batch {
            // Configuration already restricts names; a name that could leave `bots` or hide as a
            // dot file is refused here as well, whoever calls.
            guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/") else {
                failures[name] = StateFileError(path: path(forBot: name), reason: "a bot name may not be empty, start with '.' or hold '/'")
                continue
            }
            do {
                files.append(("\(name).json", Array(try encoder.encode(BotFile(format: PersistedState.currentFormat, bot: bot)))))
            } catch {
                failures[name] = StateFileError(path: path(forBot: name), reason: "cannot encode: \(error)")
            }
        }
        let bots: BotsDirectory
        do throws(StateFileError) {
            guard let opened = try BotsDirectory.open(stateDirectory: directory, create: true) else {
                throw StateFileError(path: botsDirectory, reason: "No such file or directory")
            }
            bots = opened
        } catch {
            for file in files { failures[String(file.name.dropLast(".json".count))] = error }
            return failures
        }
        for (file, failure) in bots.writeAtomically(files) {
            failures[String(file.dropLast(".json".count))] = failure
        }
        return failures
    }
}
