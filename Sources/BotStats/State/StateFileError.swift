import BotStatsProtocol

/// Why the state could not be written; the daemon keeps running and says so to the caller.
package struct StateFileError: Error, Sendable, CustomStringConvertible {
    /// The path that failed.
    package let path: String
    /// What the system said, e.g. `No space left on device`.
    package let reason: String

    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    package var description: String { "cannot save state to \(path): \(reason)" }
}
