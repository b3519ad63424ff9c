import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The Unix control socket: newline-delimited JSON requests in, one response line each out.
///
/// Binding happens in `bind(...)`, before the service group starts, so a daemon that cannot listen
/// fails at start-up and `READY=1` is only sent once clients can connect. Each connection runs in
/// its own child task; a slow or hostile client holds only its own task.
public final class ControlServer: Service {
    /// Longest request line accepted (SPEC §7).
    public static let maximumLineLength = 64 * 1024

    private let channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>
    private let handler: ControlCommandHandler
    private let logger: Logger
    /// Where the socket lives when the daemon bound it; removed on stop. Nil when systemd owns it.
    public let ownedPath: String?

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>,
        handler: ControlCommandHandler, logger: Logger, ownedPath: String?
    ) {
        self.channel = channel
        self.handler = handler
        self.logger = logger
        self.ownedPath = ownedPath
    }

    /// Binds `path` (mode 0660), or adopts `inheritedDescriptor` when systemd passed one.
    ///
    /// A socket file left by a crashed daemon is removed; one that a live daemon still answers on
    /// is an error, so two daemons never share a state directory by accident.
    public static func bind(
        path: String, inheritedDescriptor: CInt? = nil, handler: ControlCommandHandler,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> ControlServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ControlFrame, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(ControlLineDecoder(maximumLength: maximumLineLength)))
                return try NIOAsyncChannel<ControlFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        if let inheritedDescriptor {
            let channel = try await bootstrap.bind(inheritedDescriptor, childChannelInitializer: initializer)
            logger.info("control socket inherited from systemd", metadata: ["fd": "\(inheritedDescriptor)"])
            return ControlServer(channel: channel, handler: handler, logger: logger, ownedPath: nil)
        }
        try removeStaleSocket(at: path)
        let channel = try await bootstrap.bind(unixDomainSocketPath: path, childChannelInitializer: initializer)
        guard chmod(path, 0o660) == 0 else {
            try? await channel.channel.close()
            throw ControlSocketError(path: path, reason: "cannot set mode 0660: \(String(cString: strerror(errno)))")
        }
        logger.info("control socket listening", metadata: ["path": "\(path)"])
        return ControlServer(channel: channel, handler: handler, logger: logger, ownedPath: path)
    }

    private static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ControlSocketError(path: path, reason: "exists and is not a socket")
        }
        if SocketProbe.accepts(path: path) {
            throw ControlSocketError(path: path, reason: "another botstatsd is already listening there")
        }
        unlink(path)
    }

    /// Accepts connections until the service group shuts down.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await channel.executeThenClose { inbound in
                try await withGracefulShutdownHandler {
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                } onGracefulShutdown: {
                    self.channel.channel.close(promise: nil)
                }
            }
            group.cancelAll()
        }
        if let ownedPath { unlink(ownedPath) }
    }

    private func serve(_ connection: NIOAsyncChannel<ControlFrame, ByteBuffer>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    switch frame {
                    case .line(let line):
                        if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                            continue
                        }
                        let response = await handler.respond(to: line.readableBytesView)
                        try await outbound.write(ByteBuffer(string: response + "\n"))
                    case .tooLong:
                        let error = ControlError.badRequest("request line longer than \(Self.maximumLineLength) bytes")
                        try await outbound.write(ByteBuffer(string: ControlResponse.failure(error) + "\n"))
                        return
                    }
                }
            }
        } catch {
            logger.debug("control connection ended with an error", metadata: ["error": "\(error)"])
        }
    }
}

/// The control socket could not be set up.
public struct ControlSocketError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "control socket \(path): \(reason)" }
}
