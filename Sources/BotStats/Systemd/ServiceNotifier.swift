import BotStatsProtocol

/// Tells the service manager about the daemon's life: readiness, status, watchdog, reload, stop.
///
/// The daemon talks only to this protocol; `SystemdNotifier` sends real `sd_notify` datagrams and
/// tests record the messages instead.
package protocol ServiceNotifier: Sendable {
    /// Sends one notification message of newline-separated `KEY=VALUE` assignments.
    func notify(_ message: String)
}

extension ServiceNotifier {
    /// `READY=1` with the current status line.
    package func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    /// `STATUS=` with one human line.
    package func status(_ line: String) { notify("STATUS=\(line)") }
    /// `STOPPING=1`.
    package func stopping() { notify("STOPPING=1") }
}

extension ServiceNotifier {
    /// `RELOADING=1` with `MONOTONIC_USEC=` in the same message, as `Type=notify-reload` expects.
    package func reloading(monotonicMicroseconds: UInt64) {
        notify("RELOADING=1\nMONOTONIC_USEC=\(monotonicMicroseconds)")
    }

    /// `WATCHDOG=1`.
    package func watchdog() { notify("WATCHDOG=1") }
}
