import ServiceLifecycle
import UnixSignals

/// Turns SIGHUP into a configuration reload, one at a time.
struct ReloadSignalService: Service {
    let reloader: ConfigurationReloader

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                _ = try? await reloader.reload()
            }
        }
    }
}
