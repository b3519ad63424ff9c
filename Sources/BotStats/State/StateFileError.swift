import BotStatsProtocol

/// Why the state could not be written; the daemon keeps running and says so to the caller.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    /// The path that failed.
    public let path: String
    /// What the system said, e.g. `No space left on device`.
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot save state to \(path): \(reason)" }
}
