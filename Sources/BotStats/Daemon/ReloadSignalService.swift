import ServiceLifecycle
import UnixSignals
import BotStatsProtocol

/// Turns SIGHUP into a configuration reload, one at a time.
struct ReloadSignalService<C: Clock>: Service where C.Duration == Duration {
    let reloader: ConfigurationReloader<C>

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                _ = try? await reloader.reload()
            }
        }
    }
}
