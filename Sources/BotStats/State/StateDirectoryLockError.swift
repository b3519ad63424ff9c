import BotStatsProtocol

/// Why the state directory could not be claimed at start; the daemon exits 1 with this one line.
package struct StateDirectoryLockError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable {
        case inUse
        case unusable
    }

    private let code: Code
    /// The state directory that was to be locked.
    package let directory: String
    /// The process id the holder wrote into the lock file; nil when it had not written one yet.
    package let holderPID: Int?
    /// One line for a person: the path and the reason.
    package let description: String

    /// Another botstatsd holds the lock; `holderPID` says which, when it is known.
    package var isInUse: Bool { code == .inUse }

    private init(code: Code, directory: String, holderPID: Int?, description: String) {
        self.code = code
        self.directory = directory
        self.holderPID = holderPID
        self.description = description
    }

    /// The lock is held by another process.
    static func inUse(directory: String, holderPID: Int?) -> Self {
        let holder = holderPID.map { "pid \($0)" } ?? "pid unknown"
        return Self(
            code: .inUse, directory: directory, holderPID: holderPID,
            description: "state directory \(directory) is in use by another botstatsd (\(holder))")
    }

    /// The lock could not be taken for another reason: `path` failed with `reason`.
    static func unusable(directory: String, path: String, reason: String) -> Self {
        Self(
            code: .unusable, directory: directory, holderPID: nil,
            description: "cannot lock state directory \(directory): \(path): \(reason)")
    }
}
