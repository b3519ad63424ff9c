import FoundationEssentials
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import BotStatsProtocol

/// `metrics_listen`: serves `GET /metrics` for Prometheus; everything else is 404.
///
/// Bound before the service group starts, so a port already in use fails the start instead of
/// leaving a daemon that silently exports nothing. Anyone who can reach the port may connect,
/// so it has the control socket's limits: a cap on connections (the longest idle closed for a
/// new one), an idle timeout, and a deadline for a client to read its answer. Idle clients can
/// never exhaust the daemon's file descriptors.
package final class MetricsHTTPServer: Service {
    /// Open scrape connections allowed at once.
    package static let maximumConnections = 16
    /// A connection with no complete request for this long is closed.
    package static let idleTimeout: Duration = .seconds(10)

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let render: @Sendable () async -> String
    private let logger: Logger
    private let connections = ControlConnections(limit: maximumConnections, idleTimeout: idleTimeout)
    private let refusals: RefusalLog

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        render: @escaping @Sendable () async -> String, logger: Logger
    ) {
        self.channel = channel
        self.render = render
        self.logger = logger
        self.refusals = RefusalLog(logger: logger, message: "metrics connection refused: every connection is busy")
    }

    /// Binds `listen` (`host:port`); errors name `daemon.metrics_listen` and the reason.
    package static func bind(
        listen: String, render: @escaping @Sendable () async -> String, logger: Logger
    ) async throws -> MetricsHTTPServer {
        let subject = "daemon.metrics_listen \(listen)"
        guard let (host, port) = HostPort.split(listen) else { throw StartupError(subject, "not host:port") }
        let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw StartupError(subject, ConnectionFailureReason.describe(error))
        }
        if !ListenAddress.isLoopback(host) {
            logger.warning(
                "\(subject) is not a loopback address: whoever can reach it reads the metrics (bot names, counts, list states); keep it behind a firewall or bind 127.0.0.1"
            )
        }
        logger.info("metrics endpoint listening", metadata: ["listen": "\(listen)"])
        return MetricsHTTPServer(channel: channel, render: render, logger: logger)
    }

    /// Serves scrapes until the service group stops; never throws.
    package func run() async {
        let connections = self.connections
        await serveConnections(
            of: channel, background: { await connections.sweepIdleConnections() },
            serve: { await self.serve($0) })
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        await connections.serve(connection.channel, refusals: refusals) { id in
            await serve(connection, id: id)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, id: Int) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                    case .body:
                        continue
                    case .end:
                        guard let request = head else { return }
                        connections.touch(id, busy: true, now: .now)
                        let found = request.method == .GET && (request.uri == "/metrics" || request.uri.hasPrefix("/metrics?"))
                        let body = found ? await render() : "not found; try /metrics\n"
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
                        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                        headers.add(name: "Connection", value: "close")
                        connections.writing(id, now: .now)
                        let channel = connection.channel
                        let cutOff = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
                        defer { cutOff.cancel() }
                        try await outbound.write(.head(HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)))
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                        try await outbound.write(.end(nil))
                        return
                    }
                }
            }
        } catch {
            logger.debug("metrics connection ended with an error", metadata: ["error": "\(error)"])
        }
    }
}
