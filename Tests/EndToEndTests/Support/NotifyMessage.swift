import Foundation

/// One `sd_notify` datagram as systemd would receive it, e.g. `READY=1` or `RELOADING=1\nMONOTONIC_USEC=…`.
struct NotifyMessage: Sendable, CustomStringConvertible {
    /// The datagram's text, unmodified.
    let text: String
    /// The `KEY=value` assignments of the datagram, one per line, split at the first `=`; a repeated key keeps
    /// its last value, and lines without `=` are skipped.
    let fields: [String: String]
    /// When the datagram was read from the socket (monotonic clock).
    let receivedAt: ContinuousClock.Instant

    /// Parses `text` into ``fields``.
    init(text: String, receivedAt: ContinuousClock.Instant) {
        self.text = text
        self.receivedAt = receivedAt
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let equals = line.firstIndex(of: "=") else {
                continue
            }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        self.fields = fields
    }

    /// Whether this message carries `READY=1`.
    var isReady: Bool { fields["READY"] == "1" }
    /// Whether this message carries `RELOADING=1`.
    var isReloading: Bool { fields["RELOADING"] == "1" }
    /// Whether this message carries `STOPPING=1`.
    var isStopping: Bool { fields["STOPPING"] == "1" }
    /// Whether this message carries `WATCHDOG=1`.
    var isWatchdog: Bool { fields["WATCHDOG"] == "1" }
    /// The `STATUS=` line, if this message has one.
    var status: String? { fields["STATUS"] }

    /// The text with newlines shown as `\n`, for failure messages.
    var description: String {
        text.replacingOccurrences(of: "\n", with: "\\n")
    }
}
