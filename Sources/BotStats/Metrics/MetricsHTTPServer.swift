import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// `metrics_listen`: serves `GET /metrics` for Prometheus; everything else is 404.
///
/// Bound before the service group starts, so a port already in use fails the start instead of
/// leaving a daemon that silently exports nothing.
public final class MetricsHTTPServer: Service {
    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let render: @Sendable () async -> String
    private let logger: Logger

    private init(
        channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        render: @escaping @Sendable () async -> String, logger: Logger
    ) {
        self.channel = channel
        self.render = render
        self.logger = logger
    }

    /// Binds `listen` (`host:port`).
    public static func bind(
        listen: String, render: @escaping @Sendable () async -> String, logger: Logger
    ) async throws -> MetricsHTTPServer {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ControlSocketError(path: listen, reason: "not host:port")
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: ["[", "]"])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("metrics endpoint listening", metadata: ["listen": "\(listen)"])
        return MetricsHTTPServer(channel: channel, render: render, logger: logger)
    }

    /// Serves scrapes until the service group stops; never throws.
    public func run() async {
        await serveConnections(of: channel, serve: { await self.serve($0) })
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
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
                        let found = request.method == .GET && (request.uri == "/metrics" || request.uri.hasPrefix("/metrics?"))
                        let body = found ? await render() : "not found; try /metrics\n"
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
                        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                        headers.add(name: "Connection", value: "close")
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
