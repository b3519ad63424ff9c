import ServiceLifecycle

/// Sends `STOPPING=1` the moment a graceful shutdown begins.
///
/// Listed last in the service group so it is the first to hear of the shutdown.
struct LifecycleNotifierService: Service {
    let notifier: any ServiceNotifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.stopping()
    }
}
