#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Why the daemon could not start, in one line that names what failed and why, in plain words:
/// `state_directory /var/lib/botstatsd: permission denied`.
package struct StartupError: Error, Sendable, CustomStringConvertible {
    /// The configuration key or path that failed, e.g. `daemon.metrics_listen 0.0.0.0:9470`.
    package let subject: String
    package let reason: String

    package init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    /// `subject: reason` for a failed system call's `errno`.
    package init(_ subject: String, errno code: CInt) {
        self.init(subject, SystemErrorReason.text(code))
    }

    package var description: String { "\(subject): \(reason)" }
}
