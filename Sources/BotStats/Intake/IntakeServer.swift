import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import BotStatsProtocol

/// The network intake (`[daemon] intake_listen`): HTTP for shards on other hosts, answered by
/// `IntakeRequestHandler`.
///
/// Bound before the service group starts, like the control socket, so an address in use fails
/// the start. It has the control socket's limits: a cap on connections (the longest idle closed
/// for a new one), an idle timeout, and a deadline for a client to read its answer. Plain HTTP:
/// on anything but a loopback or private address it needs `intake_allow_plaintext = true` (the
/// configuration refuses it otherwise); put a TLS reverse proxy in front for the internet.
package final class IntakeServer<C: Clock>: Service where C.Duration == Duration {
    /// Open connections allowed at once.
    package static var maximumConnections: Int { 256 }
    /// A connection with no complete request for this long is closed.
    package static var idleTimeout: Duration { .seconds(30) }

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let handler: IntakeRequestHandler<C>
    private let logger: Logger
    private let connections = ControlConnections(limit: IntakeServer.maximumConnections, idleTimeout: IntakeServer.idleTimeout)
    private let refusals: RefusalLog

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        handler: IntakeRequestHandler<C>, logger: Logger
    ) {
        self.channel = channel
        self.handler = handler
        self.logger = logger
        self.refusals = RefusalLog(logger: logger, message: "intake connection refused: every connection is busy")
    }

    /// Binds `settings.listen`; errors name `daemon.intake_listen` and the reason.
    package static func bind(settings: IntakeSettings, handler: IntakeRequestHandler<C>, logger: Logger) async throws -> IntakeServer {
        let subject = "daemon.intake_listen \(settings.listen)"
        guard let (host, port) = HostPort.split(settings.listen) else { throw StartupError(subject, "not host:port") }
        let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw StartupError(subject, ConnectionFailureReason.describe(error))
        }
        if !ListenAddress.isPrivate(host) {
            logger.warning("\(subject) serves plain HTTP on a public address (intake_allow_plaintext): tokens cross the network readable")
        }
        logger.info("intake listening", metadata: ["listen": "\(settings.listen)", "clients": "\(settings.clients.count)"])
        return IntakeServer(channel: channel, handler: handler, logger: logger)
    }

    /// Serves until the service group stops; never throws.
    package func run() async {
        let connections = self.connections
        await serveConnections(
            of: channel, background: { await connections.sweepIdleConnections() }, serve: { await self.serve($0) })
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        await connections.serve(connection.channel, refusals: refusals) { id in
            await serve(connection, id: id)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, id: Int) async {
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "-"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                        tooLarge = false
                    case .body(let chunk):
                        // Only what fits is kept; the rest is read and dropped, then refused.
                        let room = IntakeRequestHandler<C>.maximumBodyBytes - body.count
                        if chunk.readableBytes > room { tooLarge = true }
                        body.append(contentsOf: chunk.readableBytesView.prefix(max(0, room)))
                    case .end:
                        guard let request = head else { return }
                        connections.touch(id, busy: true, now: .now)
                        let answer = await handler.respond(
                            to: IntakeRequest(
                                method: request.method.rawValue, path: request.uri,
                                authorization: request.headers.first(name: "Authorization"), body: body,
                                bodyTooLarge: tooLarge, peer: peer))
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: "application/json")
                        headers.add(name: "Content-Length", value: "\(answer.body.utf8.count + 1)")
                        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
                        let keepAlive = request.isKeepAlive && answer.status != 413
                        if !keepAlive { headers.add(name: "Connection", value: "close") }
                        connections.writing(id, now: .now)
                        let channel = connection.channel
                        let cutOff = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
                        defer { cutOff.cancel() }
                        try await outbound.write(
                            .head(
                                HTTPResponseHead(
                                    version: request.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: answer.body + "\n"))))
                        try await outbound.write(.end(nil))
                        guard keepAlive, connections.touch(id, busy: false, now: .now) else { return }
                        head = nil
                    }
                }
            }
        } catch {
            logger.debug("intake connection ended with an error", metadata: ["error": "\(error)"])
        }
    }
}
