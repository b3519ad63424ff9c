import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Reads and atomically writes the daemon's state: one file per bot, `bots/<name>.json` in the
/// state directory.
///
/// One file per bot keeps a `set` cheap however many bots a daemon carries: it rewrites only its
/// own bot. A write is: temp file in the same directory, `fsync`, `rename` over the old file,
/// `fsync` of the directory, so a crash at any moment leaves either the old or the new file,
/// whole. A file that does not parse, or has an unknown format, is moved aside
/// (`<name>.json.corrupt-<time>`) with a warning, never overwritten and never fatal.
///
/// A read-only state file (`--dry-run`) reads what is there and writes nothing: a dry run must
/// not leave the real daemon believing its counts were posted.
public struct StateFile: Sendable {
    public let directory: String
    /// False for a dry run: saving does nothing and bad files are skipped, not moved aside.
    public let writable: Bool
    /// Where the per-bot files live.
    public var botsDirectory: String { directory + "/bots" }

    public init(directory: String, writable: Bool = true) {
        self.directory = directory
        self.writable = writable
    }

    /// The file holding bot `name`.
    public func path(forBot name: String) -> String { "\(botsDirectory)/\(name).json" }

    private struct BotFile: Codable {
        var format: Int
        var bot: PersistedBot
    }

    /// Every saved bot; unreadable files are moved aside and skipped.
    public func load(logger: Logger, now: Date = Date()) -> PersistedState {
        var state = PersistedState()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: botsDirectory) else { return state }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .rfc3339
        for file in names.sorted() where file.hasSuffix(".json") && !file.hasPrefix(".") {
            let path = "\(botsDirectory)/\(file)"
            guard let data = FileManager.default.contents(atPath: path) else {
                logger.warning("state file cannot be read; that bot starts empty", metadata: ["file": "\(path)"])
                continue
            }
            guard let saved = try? decoder.decode(BotFile.self, from: data) else {
                moveAside(path, reason: "does not parse", logger: logger, now: now)
                continue
            }
            guard saved.format == PersistedState.currentFormat else {
                moveAside(path, reason: "has unknown format \(saved.format)", logger: logger, now: now)
                continue
            }
            state.bots[String(file.dropLast(".json".count))] = saved.bot
        }
        return state
    }

    private func moveAside(_ path: String, reason: String, logger: Logger, now: Date) {
        guard writable else {
            logger.warning("state file \(reason); dry run, so it is left in place and that bot starts empty", metadata: ["file": "\(path)"])
            return
        }
        let stamp = Int(now.timeIntervalSince1970)
        var target = "\(path).corrupt-\(stamp)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: target) {
            target = "\(path).corrupt-\(stamp)-\(suffix)"
            suffix += 1
        }
        if rename(path, target) == 0 {
            logger.warning(
                "state file \(reason); moved aside, that bot starts with empty state",
                metadata: ["file": "\(path)", "moved_to": "\(target)"])
        } else {
            logger.warning(
                "state file \(reason) and could not be moved aside; that bot starts with empty state",
                metadata: ["file": "\(path)", "error": "\(String(cString: strerror(errno)))"])
        }
    }

    /// Writes every bot of `state`.
    public func save(_ state: PersistedState) throws(StateFileError) {
        for (name, bot) in state.bots {
            try save(bot: name, bot)
        }
    }

    /// Writes one bot's file atomically and durably.
    public func save(bot name: String, _ bot: PersistedBot) throws(StateFileError) {
        guard writable else { return }
        if mkdir(botsDirectory, 0o700) != 0, errno != EEXIST {
            throw systemError(botsDirectory)
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .rfc3339
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do {
            data = try encoder.encode(BotFile(format: PersistedState.currentFormat, bot: bot))
        } catch {
            throw StateFileError(path: path(forBot: name), reason: "cannot encode: \(error)")
        }
        try writeAtomically(data, to: path(forBot: name))
    }

    private func writeAtomically(_ data: Data, to path: String) throws(StateFileError) {
        let temp = "\(path).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw systemError(temp) }
        var failed: StateFileError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = systemError(temp)
                    return
                }
                offset += written
            }
        }
        if failed == nil, fsync(fd) != 0 { failed = systemError(temp) }
        close(fd)
        if let failed {
            unlink(temp)
            throw failed
        }
        guard rename(temp, path) == 0 else {
            let error = systemError(path)
            unlink(temp)
            throw error
        }
        let dirFD = open(botsDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    private func systemError(_ path: String) -> StateFileError {
        StateFileError(path: path, reason: String(cString: strerror(errno)))
    }
}
