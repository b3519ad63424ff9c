import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// The Unix control socket: newline-delimited JSON requests in, one response line each out.
///
/// Binding happens in `bind(...)`, before the service group starts, so a daemon that cannot listen
/// fails at start-up and `READY=1` is only sent once clients can connect. Each connection runs in
/// its own child task; a slow or hostile client holds only its own task.
package final class ControlServer: Service {
    /// Longest request line accepted (SPEC §7).
    package static let maximumLineLength = 64 * 1024
    /// Open connections allowed at once; at the cap the longest-idle one is closed for a new one.
    package static let maximumConnections = 64
    /// A connection with no complete request for this long is closed.
    package static let idleTimeout: Duration = .seconds(30)
    /// Slots beyond `maximumConnections` for root and the daemon's own user, so an operator and
    /// the bot's own `set` always get in, however many other clients hold connections.
    package static let reservedConnections = 8
    /// A client that has not read an answer within this long is disconnected.
    package static let writeTimeout: Duration = .seconds(10)

    private let channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>
    private let handler: ControlCommandHandler
    private let logger: Logger
    /// The socket file, whose group decides who may change things; nil when unknown.
    private let socketPath: String?
    private let connections: ControlConnections
    private let refusals: RefusalLog
    /// Where the socket lives when the daemon bound it; removed on stop. Nil when systemd owns it.
    package let ownedPath: String?

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>,
        handler: ControlCommandHandler, logger: Logger, ownedPath: String?, socketPath: String?, idleTimeout: Duration
    ) {
        self.channel = channel
        self.handler = handler
        self.logger = logger
        self.ownedPath = ownedPath
        self.socketPath = socketPath
        self.connections = ControlConnections(
            limit: Self.maximumConnections, reserved: Self.reservedConnections, idleTimeout: idleTimeout)
        self.refusals = RefusalLog(logger: logger, message: "control connection refused: every connection is busy")
    }

    /// Binds `path` (mode 0660), or adopts `inheritedDescriptor` when systemd passed one.
    ///
    /// A socket file left by a crashed daemon is removed; one that a live daemon still answers on
    /// is an error, so two daemons never share a state directory by accident.
    package static func bind(
        path: String, inheritedDescriptor: CInt? = nil, handler: ControlCommandHandler,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> ControlServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            // A client may send its request and shut its side down at once (`printf … | nc -N`):
            // the answer still goes out before the connection closes.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // A client that pipelines requests without reading the answers stalls after a few
            // of them, not after hundreds answered into a large kernel buffer for nothing.
            .childChannelOption(.socketOption(.so_sndbuf), value: 16 * 1024)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<ControlFrame, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(ControlLineDecoder(maximumLength: maximumLineLength)))
                return try NIOAsyncChannel<ControlFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        if let inheritedDescriptor {
            let channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>
            do {
                channel = try await bootstrap.bind(inheritedDescriptor, childChannelInitializer: initializer)
            } catch {
                throw ControlSocketError(path: "descriptor \(inheritedDescriptor) from systemd", reason: ConnectionFailureReason.describe(error))
            }
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
        let channel: NIOAsyncChannel<NIOAsyncChannel<ControlFrame, ByteBuffer>, Never>
        do {
            channel = try await bootstrap.bind(unixDomainSocketPath: staging, childChannelInitializer: initializer)
        } catch {
            var reason = ConnectionFailureReason.describe(error)
            if case let io as IOError = error, io.errnoCode == ENOENT {
                reason += " (does the directory exist?)"
            }
            throw ControlSocketError(path: path, reason: reason)
        }
        guard chmod(staging, 0o660) == 0, rename(staging, path) == 0 else {
            let reason = SystemErrorReason.verbatim(errno)
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
    package func run() async {
        let connections = self.connections
        await serveConnections(
            of: channel,
            background: { await connections.sweepIdleConnections() },
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

    /// Who may change things, by the socket file's group as it is now: an operator's `chgrp`
    /// applies to the next connection without a restart.
    private var policy: ControlAccessPolicy {
        var info = stat()
        let group = socketPath.flatMap { stat($0, &info) == 0 ? UInt32(info.st_gid) : nil }
        return ControlAccessPolicy(daemonUID: UInt32(geteuid()), socketGroup: group)
    }

    private func serve(_ connection: NIOAsyncChannel<ControlFrame, ByteBuffer>) async {
        let peer = await Self.peerIdentity(of: connection.channel)
        let policy = self.policy
        await connections.serve(connection.channel, privileged: policy.isPrivileged(peer), refusals: refusals) { id in
            await serve(connection, id: id, mayChange: policy.mayChange(peer))
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ControlFrame, ByteBuffer>, id: Int, mayChange: Bool) async {
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
                        connections.writing(id, now: .now)
                        try await Self.write(answer, to: channel)
                        // While the daemon stops, a connection closes once its command is answered.
                        guard connections.touch(id, busy: false, now: .now) else { return }
                    case .tooLong:
                        let error = ControlError.badRequest("request line longer than \(Self.maximumLineLength) bytes")
                        try await Self.write(ByteBuffer(string: ControlResponse.failure(error) + "\n"), to: channel)
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
    /// Writes `answer`, closing the connection when the client has not read it within
    /// `writeTimeout`: a client that sends requests and never reads the answers holds nothing
    /// for long, not even its own slot.
    static func write(_ answer: ByteBuffer, to channel: any Channel) async throws {
        let cutOff = channel.eventLoop.scheduleTask(in: .seconds(Int64(writeTimeout.components.seconds))) {
            channel.close(promise: nil)
        }
        defer { cutOff.cancel() }
        try await channel.writeAndFlush(answer)
    }

    /// The peer's pid, uid and gid (`SO_PEERCRED`) and its supplementary groups
    /// (`SO_PEERGROUPS`), or nil when the kernel would not say.
    static func peerIdentity(of channel: any Channel) async -> PeerIdentity? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let credentials: EventLoopFuture<PeerCredentialsLayout> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED))
        guard let peer = try? await credentials.get() else { return nil }
        // The groups the peer process really has, taken by the kernel when it connected; the
        // user database can differ (a user added to a group after logging in has not got it).
        let groups: EventLoopFuture<PeerGroupsLayout> = provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: peerGroupsOption))
        let supplementary = (try? await groups.get()).map { layout in
            withUnsafeBytes(of: layout.groups) { Array($0.bindMemory(to: UInt32.self)) }
        }
        return PeerIdentity(pid: peer.pid, uid: peer.uid, gid: peer.gid, groups: supplementary)
    }

    /// `SO_PEERGROUPS` of `<asm-generic/socket.h>` (Linux 4.13), which Glibc's module lacks.
    static let peerGroupsOption: CInt = 59
}

/// Room for the peer's supplementary groups as `SO_PEERGROUPS` returns them. The kernel fills
/// only as many as there are; the rest stays zero, so gid 0 read from here means nothing (see
/// `ControlAccessPolicy`). More groups than fit make the call fail, and the user database decides.
struct PeerGroupsLayout: Sendable {
    var groups: InlineArray<256, UInt32> = .init(repeating: 0)
}

/// `struct ucred` of `<sys/socket.h>`, which Glibc's Swift module hides behind `_GNU_SOURCE`:
/// three 32-bit fields with no padding, so this struct has the same layout.
struct PeerCredentialsLayout: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The control socket could not be set up.
package struct ControlSocketError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let reason: String

    package var description: String { "control socket \(path): \(reason)" }
}
