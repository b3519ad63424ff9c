import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Options of one daemon run that do not come from the configuration file.
public struct DaemonOptions: Sendable {
    /// Log requests instead of sending them.
    public var dryRun: Bool
    /// The process id shown in status.
    public var pid: Int
    /// How long in-flight posts may finish after SIGTERM.
    public var shutdownGrace: Duration

    public init(dryRun: Bool = false, pid: Int, shutdownGrace: Duration = .seconds(5)) {
        self.dryRun = dryRun
        self.pid = pid
        self.shutdownGrace = shutdownGrace
    }
}

/// A fully set-up daemon: configuration and state loaded, control socket bound, not yet running.
///
/// `build` does every fallible step, so `run` only has to start the services and say `READY=1`.
/// Tests call `build` directly to run several daemons in one process: nothing here is global.
public struct DaemonApplication: Sendable {
    public let engine: PostingEngine<ContinuousClock>
    public let control: ControlServer
    let httpClient: HTTPClient
    let notifier: any ServiceNotifier
    let logger: Logger

    /// Loads state, creates the HTTP client and binds the control socket.
    public static func build(
        configuration: Configuration, options: DaemonOptions, notifier: any ServiceNotifier, logger: Logger
    ) async throws -> DaemonApplication {
        try FileManager.default.createDirectory(
            atPath: configuration.daemon.stateDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let httpClient = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: HTTPClientTransport.clientConfiguration(connectTimeout: configuration.retry.timeout))
        let transport: any StatsTransport =
            options.dryRun
            ? DryRunTransport(logger: logger, secrets: configuration.allSecrets)
            : HTTPClientTransport(client: httpClient)
        let engine = PostingEngine(
            configuration: configuration, transport: transport,
            stateFile: StateFile(directory: configuration.daemon.stateDirectory),
            clock: ContinuousClock(), logger: logger, pid: options.pid, shutdownGrace: options.shutdownGrace,
            statusListener: { line in notifier.status(line) })
        let backend = DaemonControlBackend(engine: engine) { () async throws(ControlError) -> ReloadResult in
            throw ControlError(code: "unsupported", message: "reload is not supported yet; restart the daemon")
        }
        do {
            let control = try await ControlServer.bind(
                path: configuration.daemon.controlSocket, handler: ControlCommandHandler(backend: backend),
                logger: logger)
            return DaemonApplication(
                engine: engine, control: control, httpClient: httpClient, notifier: notifier, logger: logger)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// Runs until SIGTERM or SIGINT, then stops gracefully: `STOPPING=1`, in-flight posts finish
    /// within the grace period, state is saved.
    public func run() async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: engine),
                    .init(service: control),
                    .init(service: LifecycleNotifierService(notifier: notifier)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
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
