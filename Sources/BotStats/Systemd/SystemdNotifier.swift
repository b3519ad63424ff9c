import CSystemd

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// `sd_notify(3)`, `sd_watchdog_enabled(3)` and `sd_listen_fds_with_names(3)` through libsystemd:
/// the only file that imports `CSystemd`.
///
/// Without `$NOTIFY_SOCKET` (not started by systemd) every notification is a no-op, as libsystemd
/// does; without `$WATCHDOG_USEC` or `$LISTEN_FDS` the queries say "none".
package struct SystemdNotifier: ServiceNotifier {
    package init() {}

    package func notify(_ message: String) {
        _ = sd_notify(0, message)
    }

    /// The watchdog interval systemd asked for (`WATCHDOG_USEC`, for this pid), or nil when off.
    package static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(clamping: usec))
    }

    /// The file descriptor systemd passed under `name` (`FileDescriptorName=`), if any.
    ///
    /// The `LISTEN_*` variables are removed afterwards so children never mistake them for theirs.
    package static func listenedDescriptor(named name: String) -> CInt? {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0, let names else { return nil }
        defer {
            for index in 0..<Int(count) { free(names[index]) }
            free(names)
        }
        for index in 0..<Int(count) {
            if let entry = names[index], String(cString: entry) == name {
                return SD_LISTEN_FDS_START + CInt(index)
            }
        }
        return nil
    }

    /// `CLOCK_MONOTONIC` in microseconds, for `MONOTONIC_USEC=` next to `RELOADING=1`.
    package static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
