import AsyncHTTPClient
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// A fully set-up daemon: configuration and state loaded, control socket bound, not yet running.
///
/// `build` does every fallible step, so `run` only has to start the services and say `READY=1`.
/// Generic over the clock its engine and watchdog wait on, and given its transport, so tests
/// build whole daemons in one process with a manual clock and a scripted list: nothing here is
/// global (see `DaemonOptions.handlesSignals`).
package struct DaemonApplication<C: Clock>: Sendable where C.Duration == Duration {
    package let engine: PostingEngine<C>
    package let control: ControlServer
    /// Reloads the configuration, as SIGHUP and `botstatsctl reload` do.
    package let reloader: ConfigurationReloader<C>
    let group: ServiceGroup
    /// The client the real transport sends with; nil when the caller gave the transport.
    let httpClient: HTTPClient?
    let notifier: any ServiceNotifier
    let logger: Logger
    /// Held for the life of the daemon; nil for a dry run, which writes nothing.
    let stateLock: StateDirectoryLock?

    /// Loads state, binds the control socket (and the metrics endpoint), and wires the services.
    ///
    /// - Parameters:
    ///   - clock: what the engine and the watchdog wait on.
    ///   - transport: how requests reach the lists; nil for the real one (async-http-client, or
    ///     a request log under `--dry-run`).
    package static func build(
        configuration: Configuration, options: DaemonOptions, notifier: any ServiceNotifier, logger: Logger,
        clock: C, transport: (any StatsTransport)? = nil
    ) async throws -> DaemonApplication<C> {
        if options.dryRun {
            logger.notice("dry run: requests are logged, not sent; state is read but not written")
        } else {
            try createStateDirectory(configuration.daemon.stateDirectory)
        }
        // Before the state is loaded and the control socket bound: a second daemon must touch neither.
        let stateLock = options.dryRun ? nil : try StateDirectoryLock.acquire(directory: configuration.daemon.stateDirectory)
        let logSettings =
            options.logSettings
            ?? LiveLogSettings(level: configuration.daemon.logLevel, secrets: configuration.allSecrets)
        var httpClient: HTTPClient?
        let chosenTransport: any StatsTransport
        if let transport {
            chosenTransport = transport
        } else if options.dryRun {
            chosenTransport = DryRunTransport(logger: logger, settings: logSettings)
        } else {
            let client = HTTPClient(
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                configuration: HTTPClientTransport.clientConfiguration(connectTimeout: configuration.retry.timeout))
            httpClient = client
            chosenTransport = HTTPClientTransport(client: client)
        }
        let engine = PostingEngine(
            configuration: configuration, transport: chosenTransport,
            stateFile: StateFile(directory: configuration.daemon.stateDirectory, writable: !options.dryRun),
            clock: clock, logger: logger, pid: options.pid, shutdownGrace: options.shutdownGrace * 4 / 5,
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
            var intakeServer: IntakeServer<C>?
            if let intake = configuration.daemon.intake {
                intakeServer = try await IntakeServer.bind(
                    settings: intake,
                    handler: IntakeRequestHandler(backend: backend, settings: intake, clock: clock, logger: logger),
                    logger: logger)
            }
            let control = try await ControlServer.bind(
                path: configuration.daemon.controlSocket, inheritedDescriptor: options.inheritedControlSocket,
                handler: ControlCommandHandler(backend: backend), logger: logger)
            // A stop runs through this list backwards: STOPPING=1 first, then the watchdog, then
            // the engine (in-flight posts get most of the grace, waiting `post` calls get their
            // answers, state is saved), and the control socket last, so `status` answers while the
            // daemon stops and no client is left waiting on an engine that has already stopped.
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: control)]
            if let metricsServer { services.append(.init(service: metricsServer)) }
            if let intakeServer { services.append(.init(service: intakeServer)) }
            if options.handlesSignals { services.append(.init(service: ReloadSignalService(reloader: reloader))) }
            services.append(.init(service: engine))
            if let interval = options.watchdogInterval {
                services.append(.init(service: WatchdogService(interval: interval, probe: engine, notifier: notifier, clock: clock)))
                logger.info("watchdog on", metadata: ["interval": "\(DurationText.format(interval))"])
            }
            services.append(
                .init(
                    service: LifecycleNotifierService(
                        notifier: notifier, logger: logger, statusLine: { await engine.statusLine() })))
            var groupConfiguration = ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: options.handlesSignals ? [.sigterm, .sigint] : [],
                logger: logger)
            // Whatever still runs when the grace is nearly over is cancelled: a stop never outlasts it.
            groupConfiguration.maximumGracefulShutdownDuration = options.shutdownGrace * 9 / 10
            return DaemonApplication(
                engine: engine, control: control, reloader: reloader, group: ServiceGroup(configuration: groupConfiguration),
                httpClient: httpClient, notifier: notifier, logger: logger, stateLock: stateLock)
        } catch {
            try? await httpClient?.shutdown()
            throw error
        }
    }

    /// Runs until SIGTERM or SIGINT (or `stop()`), then stops gracefully within
    /// `shutdownGrace`: `STOPPING=1`, in-flight posts finish (or are cut off), state is saved,
    /// the control socket closes last.
    package func run() async throws {
        do {
            try await group.run()
        } catch {
            try? await httpClient?.shutdown()
            throw error
        }
        try await httpClient?.shutdown()
    }

    /// Stops a running daemon as SIGTERM does.
    package func stop() async {
        await group.triggerGracefulShutdown()
    }
}

extension DaemonApplication where C == DaemonClock {
    /// The daemon as it really runs: the real clock, and the real transport for `options`.
    package static func build(
        configuration: Configuration, options: DaemonOptions, notifier: any ServiceNotifier, logger: Logger
    ) async throws -> DaemonApplication<DaemonClock> {
        try await build(configuration: configuration, options: options, notifier: notifier, logger: logger, clock: DaemonClock())
    }
}

/// Creates the state directory and its parents (0700) unless they exist; the error names the
/// directory and the reason in plain words.
func createStateDirectory(_ path: String) throws(StartupError) {
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
