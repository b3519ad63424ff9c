import Logging
import ServiceLifecycle
import BotStatsProtocol

/// Says `READY=1` once the service group runs, and `STOPPING=1` the moment a graceful shutdown
/// begins.
///
/// READY comes from inside the group because the group installs its signal handling before it
/// starts any service: a stop systemd asks for right after READY is then always a graceful one.
/// Listed last in the service group so it is the first to hear of the shutdown.
struct LifecycleNotifierService: Service {
    let notifier: any ServiceNotifier
    let logger: Logger
    let statusLine: @Sendable () async -> String

    func run() async throws {
        notifier.ready(status: await statusLine())
        logger.notice("ready", metadata: ["version": "\(BotStatsVersion.version)"])
        try? await gracefulShutdown()
        notifier.stopping()
    }
}
