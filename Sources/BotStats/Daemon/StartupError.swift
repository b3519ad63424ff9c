#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Why the daemon could not start, in one line that names what failed and why, in plain words:
/// `state_directory /var/lib/botstatsd: permission denied`.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    /// The configuration key or path that failed, e.g. `daemon.metrics_listen 0.0.0.0:9470`.
    public let subject: String
    public let reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    /// `subject: reason` for a failed system call's `errno`.
    public init(_ subject: String, errno code: CInt) {
        self.init(subject, ConnectionFailureReason.systemReason(code))
    }

    public var description: String { "\(subject): \(reason)" }
}
