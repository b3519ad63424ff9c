import NIOCore
import ServiceLifecycle

/// Serves every connection `listener` accepts, each in its own child task on the connection's
/// event loop, until a graceful shutdown closes the listener; then cancels what is still being
/// served.
///
/// Shared by the control socket and the metrics endpoint. `background`, when given, runs beside
/// the connections for as long as the listener does (the control socket's idle sweeper).
func serveConnections<Inbound: Sendable, Outbound: Sendable>(
    of listener: NIOAsyncChannel<NIOAsyncChannel<Inbound, Outbound>, Never>,
    background: (@Sendable () async -> Void)? = nil,
    serve: @escaping @Sendable (NIOAsyncChannel<Inbound, Outbound>) async -> Void
) async throws {
    try await withThrowingDiscardingTaskGroup { group in
        if let background { group.addTask { await background() } }
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
        group.cancelAll()
    }
}
