import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Reads and atomically writes `state.json`.
///
/// A write is: temp file in the same directory, `fsync`, `rename` over the old file, `fsync` of
/// the directory, so a crash at any moment leaves either the old or the new file, whole. A file
/// that does not parse is moved aside (`state.json.corrupt-<time>`) with a warning, never
/// overwritten and never fatal.
public struct StateFile: Sendable {
    public let directory: String
    public var path: String { directory + "/state.json" }

    public init(directory: String) {
        self.directory = directory
    }

    /// The saved state, or an empty one when there is none or it was unreadable.
    public func load(logger: Logger, now: Date = Date()) -> PersistedState {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                logger.warning("state file exists but cannot be read; starting empty", metadata: ["file": "\(path)"])
            }
            return PersistedState()
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let state = try decoder.decode(PersistedState.self, from: data)
            guard state.format == PersistedState.currentFormat else {
                moveAside(reason: "unknown format \(state.format)", logger: logger, now: now)
                return PersistedState()
            }
            return state
        } catch {
            moveAside(reason: "does not parse", logger: logger, now: now)
            return PersistedState()
        }
    }

    private func moveAside(reason: String, logger: Logger, now: Date) {
        let stamp = Int(now.timeIntervalSince1970)
        var target = "\(path).corrupt-\(stamp)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: target) {
            target = "\(path).corrupt-\(stamp)-\(suffix)"
            suffix += 1
        }
        if rename(path, target) == 0 {
            logger.warning(
                "state file \(reason); moved aside, starting with empty state",
                metadata: ["file": "\(path)", "moved_to": "\(target)"])
        } else {
            logger.warning(
                "state file \(reason) and could not be moved aside; starting with empty state",
                metadata: ["file": "\(path)", "error": "\(String(cString: strerror(errno)))"])
        }
    }

    /// Writes `state` atomically and durably.
    public func save(_ state: PersistedState) throws(StateFileError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data: Data
        do {
            data = try encoder.encode(state)
        } catch {
            throw StateFileError(path: path, reason: "cannot encode: \(error)")
        }
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
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
    }

    private func systemError(_ path: String) -> StateFileError {
        StateFileError(path: path, reason: String(cString: strerror(errno)))
    }
}
