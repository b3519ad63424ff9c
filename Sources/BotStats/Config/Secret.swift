import BotStatsProtocol

/// A token or other secret that must never reach a log, a status reply, a metric or an error.
///
/// Its `description` is a fixed placeholder, so string interpolation cannot leak it; the value
/// is read only through `revealed`, by the code that puts it on the wire.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself. Use only to build a request.
    package let revealed: String

    package init(_ value: String) {
        self.revealed = value
    }

    package var description: String { "[redacted]" }
    package var debugDescription: String { "[redacted]" }
}
