import ServiceLifecycle
import BotStatsProtocol

/// Something whose answer proves the daemon's work loop is alive.
package protocol WatchdogProbe: Sendable {
    /// Returns once the work loop has run this call; never returns while it is wedged.
    func heartbeat() async
}

/// Sends `WATCHDOG=1` every half interval, each time only after the engine answered a heartbeat.
///
/// The heartbeat runs on the engine actor, the same concurrency domain that decides and records
/// every post, so a wedged engine stops the pings and systemd restarts the daemon.
package struct WatchdogService<C: Clock>: Service where C.Duration == Duration {
    let interval: Duration
    let probe: any WatchdogProbe
    let notifier: any ServiceNotifier
    let clock: C

    /// - Parameter interval: systemd's `WatchdogSec=`; pings go out every `interval / 2`.
    package init(interval: Duration, probe: any WatchdogProbe, notifier: any ServiceNotifier, clock: C) {
        self.interval = interval
        self.probe = probe
        self.notifier = notifier
        self.clock = clock
    }

    /// Pings until a graceful shutdown or cancellation, then returns normally.
    ///
    /// A stop cancels the sleep between pings; that is how the loop ends, not a failure. Were it
    /// thrown, the service group would take it for a crash and the daemon would exit 1, leaving
    /// the unit `failed` after every `systemctl stop`.
    package func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await probe.heartbeat()
                notifier.watchdog()
                do {
                    try await clock.sleep(for: interval / 2)
                } catch {
                    return
                }
            }
        }
    }
}
