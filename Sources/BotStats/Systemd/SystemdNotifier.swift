import CSystemd

/// `sd_notify(3)` through libsystemd: the only file that imports `CSystemd`.
///
/// Without `$NOTIFY_SOCKET` (not started by systemd) every call is a no-op, as libsystemd does.
public struct SystemdNotifier: ServiceNotifier {
    public init() {}

    public func notify(_ message: String) {
        _ = sd_notify(0, message)
    }

    /// The watchdog interval systemd asked for (`WATCHDOG_USEC`, for this pid), or nil when off.
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }
}
