#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Options of one daemon run that do not come from the configuration file.
package struct DaemonOptions: Sendable {
    /// Log requests instead of sending them.
    package var dryRun: Bool
    /// The process id shown in status.
    package var pid: Int
    /// How long a stop may take, SIGTERM to exit; in-flight posts get four fifths of it.
    package var shutdownGrace: Duration
    /// A listening control socket passed by systemd (`FileDescriptorName=control`), if any.
    package var inheritedControlSocket: CInt?
    /// systemd's watchdog interval; nil when the watchdog is off.
    package var watchdogInterval: Duration?
    /// Loads the configuration again on reload.
    package var loader: ConfigurationLoader
    /// The level and tokens the daemon's log handler reads; a reload replaces them. Nil makes
    /// settings of the daemon's own (its loggers then keep their level across reloads).
    package var logSettings: LiveLogSettings?
    /// Stop on SIGTERM/SIGINT and reload on SIGHUP. Signals belong to the whole process, so a
    /// test that runs several daemons in one process turns this off and uses `stop()` instead.
    package var handlesSignals: Bool

    package init(
        dryRun: Bool = false, pid: Int, shutdownGrace: Duration = .seconds(5), inheritedControlSocket: CInt? = nil,
        watchdogInterval: Duration? = nil, loader: ConfigurationLoader, logSettings: LiveLogSettings? = nil,
        handlesSignals: Bool = true
    ) {
        self.handlesSignals = handlesSignals
        self.logSettings = logSettings
        self.dryRun = dryRun
        self.pid = pid
        self.shutdownGrace = shutdownGrace
        self.inheritedControlSocket = inheritedControlSocket
        self.watchdogInterval = watchdogInterval
        self.loader = loader
    }
}
