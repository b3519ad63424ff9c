import BotStatsProtocol

/// A token or other secret that must never reach a log, a status reply, a metric or an error.
///
/// Its `description` is a fixed placeholder, so string interpolation cannot leak it; the value
/// is read only through `revealed`, by the code that puts it on the wire.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Use only to build a request.
    public let revealed: String

    public init(_ value: String) {
        self.revealed = value
    }

    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
}
