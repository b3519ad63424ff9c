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
    /// Open connections allowed at once; at the cap the longest-idle one is closed for a new one.
    public static let maximumConnections = 64
    /// A connection with no complete request for this long is closed.
    public static let idleTimeout: Duration = .seconds(30)

    private let channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>
    private let handler: ControlCommandHandler
    private let logger: Logger
    private let policy: ControlAccessPolicy
    private let connections: ControlConnections
    /// Where the socket lives when the daemon bound it; removed on stop. Nil when systemd owns it.
    public let ownedPath: String?

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>,
        handler: ControlCommandHandler, logger: Logger, ownedPath: String?, socketPath: String?, idleTimeout: Duration
    ) {
        self.channel = channel
        self.handler = handler
        self.logger = logger
        self.ownedPath = ownedPath
        var info = stat()
        let group = socketPath.flatMap { stat($0, &info) == 0 ? UInt32(info.st_gid) : nil }
        self.policy = ControlAccessPolicy(daemonUID: UInt32(geteuid()), socketGroup: group)
        self.connections = ControlConnections(limit: Self.maximumConnections, idleTimeout: idleTimeout)
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
            let boundPath = SocketProbe.boundPath(of: inheritedDescriptor)
            logger.info("control socket inherited from systemd", metadata: ["fd": "\(inheritedDescriptor)", "path": "\(boundPath ?? "?")"])
            return ControlServer(
                channel: channel, handler: handler, logger: logger, ownedPath: nil, socketPath: boundPath,
                idleTimeout: idleTimeout)
        }
        try removeStaleSocket(at: path)
        // Bind beside the final path, set the mode, then rename into place: the socket never
        // exists at `path` with the process umask's mode, not even for a moment.
        let staging = path + ".new"
        unlink(staging)
        let channel = try await bootstrap.bind(unixDomainSocketPath: staging, childChannelInitializer: initializer)
        guard chmod(staging, 0o660) == 0, rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            try? await channel.channel.close()
            throw ControlSocketError(path: path, reason: "cannot set mode 0660 and move into place: \(reason)")
        }
        logger.info("control socket listening", metadata: ["path": "\(path)"])
        return ControlServer(
            channel: channel, handler: handler, logger: logger, ownedPath: path, socketPath: path, idleTimeout: idleTimeout)
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

    /// How long a stop lets commands already running finish before their connections are cut.
    static let drainTime: Duration = .milliseconds(400)

    /// Accepts connections until the service group shuts down; then answers what is already
    /// being answered (for at most `drainTime`), closes every connection and removes the socket
    /// file it created.
    public func run() async {
        let connections = self.connections
        await serveConnections(
            of: channel,
            background: {
                // One sweeper for all connections, rather than a timer per connection. It runs a
                // few times per idle timeout while connections are open, and has no timer at all
                // while none are: an idle daemon should sleep.
                let period = connections.idleTimeout / 4
                while !Task.isCancelled {
                    await connections.waitForConnection()
                    try? await DaemonClock().sleep(for: period)
                    connections.closeIdle(now: .now)
                }
            },
            drain: {
                connections.beginDraining()
                let clock = DaemonClock()
                await untilDeadline(clock.now.advanced(by: Self.drainTime), on: clock) {
                    await connections.waitUntilEmpty()
                }
            },
            serve: { await self.serve($0) })
        if let ownedPath { unlink(ownedPath) }
    }

    private func serve(_ connection: NIOAsyncChannel<ControlFrame, ByteBuffer>) async {
        guard let id = connections.admit(connection.channel, now: .now) else {
            logger.warning("control connection refused: every connection is busy")
            try? await connection.channel.close()
            return
        }
        defer { connections.remove(id) }
        // Cancelled at the end of a stop: closing the channel also ends a write that waits on a
        // client that does not read, which would otherwise hold the stop open forever.
        await withTaskCancellationHandler {
            await serve(connection, id: id)
        } onCancel: {
            connection.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ControlFrame, ByteBuffer>, id: Int) async {
        let peer = await Self.peerIdentity(of: connection.channel)
        let mayChange = policy.mayChange(peer)
        do {
            // Answers go straight to the channel rather than through the outbound async writer:
            // this task runs on the channel's event loop, so the write needs no hand-off, and
            // awaiting it still holds back a client that does not read its answers.
            let channel = connection.channel
            try await connection.executeThenClose { inbound, _ in
                for try await frame in inbound {
                    switch frame {
                    case .line(let line):
                        if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                            continue
                        }
                        connections.touch(id, busy: true, now: .now)
                        let response = await handler.respond(to: line.readableBytesView, mayChange: mayChange)
                        var answer = channel.allocator.buffer(capacity: response.utf8.count + 1)
                        answer.writeString(response)
                        answer.writeInteger(UInt8(ascii: "\n"))
                        try await channel.writeAndFlush(answer)
                        // While the daemon stops, a connection closes once its command is answered.
                        guard connections.touch(id, busy: false, now: .now) else { return }
                    case .tooLong:
                        let error = ControlError.badRequest("request line longer than \(Self.maximumLineLength) bytes")
                        try await channel.writeAndFlush(ByteBuffer(string: ControlResponse.failure(error) + "\n"))
                        return
                    }
                }
            }
        } catch {
            logger.debug("control connection ended with an error", metadata: ["error": "\(error)"])
        }
    }
}

extension ControlServer {
    /// The peer's pid, uid and gid (`SO_PEERCRED`), or nil when the kernel would not say.
    static func peerIdentity(of channel: any Channel) async -> PeerIdentity? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<PeerCredentialsLayout> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        guard let credentials = try? await future.get() else { return nil }
        return PeerIdentity(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}

/// `struct ucred` of `<sys/socket.h>`, which Glibc's Swift module hides behind `_GNU_SOURCE`:
/// three 32-bit fields with no padding, so this struct has the same layout.
struct PeerCredentialsLayout: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The control socket could not be set up.
public struct ControlSocketError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String { "control socket \(path): \(reason)" }
}
