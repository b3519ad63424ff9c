import FoundationEssentials
import Logging

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Writes one line per log event to stderr with the `<N>` priority prefix journald understands,
/// so `journalctl -p warning` filters botstatsd's lines like any other daemon's.
///
/// Metadata is written as `key=value` pairs after the message; every line passes through the
/// redactor first, so a token that slipped into a message still never reaches the journal.
///
/// The level and the tokens come from `LiveLogSettings`, which a reload replaces.
package struct JournalLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let settings: LiveLogSettings
    /// A level set on this one logger (`logger.logLevel = …`), which then ignores the settings'.
    private var levelOverride: Logger.Level?
    private let write: @Sendable (String) -> Void

    package var logLevel: Logger.Level {
        get { levelOverride ?? settings.level }
        set { levelOverride = newValue }
    }

    /// - Parameters:
    ///   - settings: the level, and the tokens that must never be written.
    ///   - write: where a finished line goes; stderr by default.
    package init(
        label: String, settings: LiveLogSettings,
        write: @escaping @Sendable (String) -> Void = JournalLogHandler.writeToStderr
    ) {
        self.label = label
        self.settings = settings
        self.write = write
    }

    /// A handler with settings of its own, for tests and tools.
    package init(
        label: String, level: Logger.Level, secrets: [Secret] = [],
        write: @escaping @Sendable (String) -> Void = JournalLogHandler.writeToStderr
    ) {
        self.init(label: label, settings: LiveLogSettings(level: level, secrets: secrets), write: write)
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a swift-log level (`sd-daemon.h`'s `SD_ERR` and friends).
    package static func priority(of level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "<\(Self.priority(of: event.level))>\(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
        }
        line = settings.redactor.redact(line).replacing("\n", with: "\\n")
        write(line + "\n")
    }

    private static func quoted(_ value: String) -> String {
        if value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) {
            return "\"" + value.replacing("\"", with: "\\\"") + "\""
        }
        return value
    }

    /// Writes `line` to file descriptor 2 in one `write(2)`, so lines from threads never interleave.
    package static let writeToStderr: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }
}
