import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// Options of one daemon run that do not come from the configuration file.
public struct DaemonOptions: Sendable {
    /// Log requests instead of sending them.
    public var dryRun: Bool
    /// The process id shown in status.
    public var pid: Int
    /// How long a stop may take, SIGTERM to exit; in-flight posts get four fifths of it.
    public var shutdownGrace: Duration
    /// A listening control socket passed by systemd (`FileDescriptorName=control`), if any.
    public var inheritedControlSocket: CInt?
    /// systemd's watchdog interval; nil when the watchdog is off.
    public var watchdogInterval: Duration?
    /// Loads the configuration again on reload.
    public var loader: ConfigurationLoader
    /// The level and tokens the daemon's log handler reads; a reload replaces them. Nil makes
    /// settings of the daemon's own (its loggers then keep their level across reloads).
    public var logSettings: LiveLogSettings?

    public init(
        dryRun: Bool = false, pid: Int, shutdownGrace: Duration = .seconds(5), inheritedControlSocket: CInt? = nil,
        watchdogInterval: Duration? = nil, loader: ConfigurationLoader, logSettings: LiveLogSettings? = nil
    ) {
        self.logSettings = logSettings
        self.dryRun = dryRun
        self.pid = pid
        self.shutdownGrace = shutdownGrace
        self.inheritedControlSocket = inheritedControlSocket
        self.watchdogInterval = watchdogInterval
        self.loader = loader
    }
}

/// A fully set-up daemon: configuration and state loaded, control socket bound, not yet running.
///
/// `build` does every fallible step, so `run` only has to start the services and say `READY=1`.
/// Tests call `build` directly to run several daemons in one process: nothing here is global.
public struct DaemonApplication: Sendable {
    public let engine: PostingEngine<DaemonClock>
    public let control: ControlServer
    let reloader: ConfigurationReloader
    let metricsServer: MetricsHTTPServer?
    let watchdogInterval: Duration?
    /// The whole stop, SIGTERM to exit.
    let shutdownGrace: Duration
    let httpClient: HTTPClient
    let notifier: any ServiceNotifier
    let logger: Logger

    /// Loads state, creates the HTTP client and binds the control socket.
    public static func build(
        configuration: Configuration, options: DaemonOptions, notifier: any ServiceNotifier, logger: Logger
    ) async throws -> DaemonApplication {
        if options.dryRun {
            logger.notice("dry run: requests are logged, not sent; state is read but not written")
        } else {
            try Self.createStateDirectory(configuration.daemon.stateDirectory)
        }
        let logSettings = options.logSettings
            ?? LiveLogSettings(level: configuration.daemon.logLevel, secrets: configuration.allSecrets)
        let httpClient = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: HTTPClientTransport.clientConfiguration(connectTimeout: configuration.retry.timeout))
        let transport: any StatsTransport =
            options.dryRun
            ? DryRunTransport(logger: logger, settings: logSettings)
            : HTTPClientTransport(client: httpClient)
        let engine = PostingEngine(
            configuration: configuration, transport: transport,
            stateFile: StateFile(directory: configuration.daemon.stateDirectory, writable: !options.dryRun),
            clock: DaemonClock(), logger: logger, pid: options.pid, shutdownGrace: options.shutdownGrace * 4 / 5,
            dryRun: options.dryRun,
            statusListener: { line in notifier.status(line) })
        let reloader = ConfigurationReloader(
            path: configuration.path, loader: options.loader, engine: engine, notifier: notifier, logger: logger,
            logSettings: logSettings)
        let backend = DaemonControlBackend(engine: engine) { () async throws(ControlError) -> ReloadResult in
            try await reloader.reload()
        }
        do {
            var metricsServer: MetricsHTTPServer?
            if let listen = configuration.daemon.metricsListen {
                metricsServer = try await MetricsHTTPServer.bind(
                    listen: listen, render: { MetricsExposition.render(await engine.status()) }, logger: logger)
            }
            let control = try await ControlServer.bind(
                path: configuration.daemon.controlSocket, inheritedDescriptor: options.inheritedControlSocket,
                handler: ControlCommandHandler(backend: backend), logger: logger)
            return DaemonApplication(
                engine: engine, control: control, reloader: reloader, metricsServer: metricsServer,
                watchdogInterval: options.watchdogInterval, shutdownGrace: options.shutdownGrace,
                httpClient: httpClient, notifier: notifier, logger: logger)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// Creates the state directory and its parents (0700) unless they exist; the error names the
    /// directory and the reason in plain words.
    static func createStateDirectory(_ path: String) throws(StartupError) {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0, errno != EEXIST {
                throw StartupError("daemon.state_directory \(path)", errno: errno)
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw StartupError("daemon.state_directory \(path)", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw StartupError("daemon.state_directory \(path)", "not a directory") }
        guard access(path, W_OK | X_OK) == 0 else { throw StartupError("daemon.state_directory \(path)", errno: errno) }
    }

    /// Runs until SIGTERM or SIGINT, then stops gracefully within `shutdownGrace`: `STOPPING=1`,
    /// in-flight posts finish (or are cut off), state is saved, the control socket closes last.
    public func run() async throws {
        // A stop runs through this list backwards: STOPPING=1 first, then the watchdog, then the
        // engine (in-flight posts get most of the grace, waiting `post` calls get their answers,
        // state is saved), and the control socket last, so `status` answers while the daemon stops
        // and no client is left waiting on an engine that has already stopped.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: control)]
        if let metricsServer { services.append(.init(service: metricsServer)) }
        services.append(.init(service: ReloadSignalService(reloader: reloader)))
        services.append(.init(service: engine))
        if let watchdogInterval {
            services.append(.init(service: WatchdogService(
                interval: watchdogInterval, probe: engine, notifier: notifier, clock: DaemonClock())))
            logger.info("watchdog on", metadata: ["interval": "\(DurationText.format(watchdogInterval))"])
        }
        services.append(.init(service: LifecycleNotifierService(notifier: notifier)))
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Whatever still runs when the grace is over is cancelled: a stop never outlasts it.
        configuration.maximumGracefulShutdownDuration = shutdownGrace * 9 / 10
        let group = ServiceGroup(configuration: configuration)
        notifier.ready(status: await engine.statusLine())
        logger.notice("ready", metadata: ["version": "\(BotStatsVersion.version)"])
        do {
            try await group.run()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }
}
