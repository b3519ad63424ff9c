import Logging
import BotStatsProtocol

/// A log line decided by pure code and written by the shell that applies the decision.
///
/// State machines return these instead of taking a logger, so what they would log is part of
/// what a table test asserts, and deciding stays free of I/O.
package struct LogEntry: Sendable, Equatable, CustomStringConvertible {
    package var level: Logger.Level
    package var message: String
    /// Structured metadata with dotted keys; every value is text.
    package var metadata: [String: String]

    package init(_ level: Logger.Level, _ message: String, metadata: [String: String] = [:]) {
        self.level = level
        self.message = message
        self.metadata = metadata
    }

    /// Writes the line to `logger`, with `context` (the bot and target names) added to its metadata.
    package func write(to logger: Logger, context: [String: String] = [:]) {
        var merged = Logger.Metadata()
        for (key, value) in context { merged[key] = .string(value) }
        for (key, value) in metadata { merged[key] = .string(value) }
        logger.log(level: level, "\(message)", metadata: merged)
    }

    package var description: String {
        let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "[\(level)] \(message)" + (fields.isEmpty ? "" : " " + fields.joined(separator: " "))
    }
}
