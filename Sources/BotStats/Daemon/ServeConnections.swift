import NIOCore
import ServiceLifecycle
import BotStatsProtocol

/// Serves every connection `listener` accepts, each in its own child task on the connection's
/// event loop, until a graceful shutdown closes the listener; then lets `drain` finish what it
/// can and cancels what is still being served. Cancellation of the caller ends it the same way.
///
/// Shared by the control socket and the metrics endpoint. `background`, when given, runs beside
/// the connections for as long as the listener does (the control socket's idle sweeper). It
/// never throws: the end of serving is the normal end of a stop, not a failure.
func serveConnections<Inbound: Sendable, Outbound: Sendable>(
    of listener: NIOAsyncChannel<NIOAsyncChannel<Inbound, Outbound>, Never>,
    background: (@Sendable () async -> Void)? = nil,
    drain: (@Sendable () async -> Void)? = nil,
    serve: @escaping @Sendable (NIOAsyncChannel<Inbound, Outbound>) async -> Void
) async {
    await withDiscardingTaskGroup { group in
        if let background { group.addTask { await background() } }
        do {
            try await listener.executeThenClose { inbound in
                try await withGracefulShutdownHandler {
                    for try await connection in inbound {
                        // The connection's task runs on its channel's event loop (see
                        // `EventLoopTaskExecutor`); work that may block hops off it.
                        group.addTask(executorPreference: EventLoopTaskExecutor(connection.channel.eventLoop)) {
                            await serve(connection)
                        }
                    }
                } onGracefulShutdown: {
                    listener.channel.close(promise: nil)
                }
            }
        } catch {
            // The listener ends with an error only when it was closed under it; either way no
            // more connections come.
        }
        if let drain { await drain() }
        group.cancelAll()
    }
}
