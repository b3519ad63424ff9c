import NIOCore
import NIOHTTP1

/// Serves one connection of ``FakeBotList``: assembles each request, records it in the ledger and writes the
/// scripted response, after the response's delay when it has one.
///
/// The delay is an event-loop timer, never a sleep, so one slow response does not hold up other connections.
/// `configureHTTPServerPipeline`'s pipelining handler keeps responses on one keep-alive connection in order.
final class FakeBotListHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let ledger: FakeBotListLedger
    private var head: HTTPRequestHead?
    private var headArrivedAt = ContinuousClock.now
    private var body: ByteBuffer?

    /// Creates a handler that records into `ledger`.
    init(ledger: FakeBotListLedger) {
        self.ledger = ledger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.headArrivedAt = .now
            self.body = nil
        case .body(var chunk):
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else {
                return
            }
            self.head = nil
            let request = RecordedRequest(
                method: head.method.rawValue,
                path: head.uri,
                headers: head.headers.map { ($0.name, $0.value) },
                body: body.map { String(buffer: $0) } ?? "",
                receivedAt: headArrivedAt
            )
            body = nil
            let response = ledger.record(request)
            if response.delay > .zero {
                context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(response.delay)) {
                    self.respond(response, to: head, context: context)
                }
            } else {
                respond(response, to: head, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(_ response: FakeResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        ledger.answered()
        guard context.channel.isActive else {
            return
        }
        switch response.fault {
        case .none:
            break
        case .resetConnection:
            context.close(promise: nil)
            return
        case .hugeBody(let bytes):
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: "\(bytes)")
            headers.add(name: "content-type", value: "application/json")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: .ok, headers: headers))), promise: nil)
            let chunk = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
            var sent = 0
            while sent < bytes, context.channel.isActive {
                let size = min(chunk.readableBytes, bytes - sent)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk.getSlice(at: 0, length: size)!))), promise: nil)
                sent += size
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: response.body.utf8.count)
        buffer.writeString(response.body)

        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "content-length", value: "\(buffer.readableBytes)")
        if buffer.readableBytes > 0 && !headers.contains(name: "content-type") {
            headers.add(name: "content-type", value: "application/json")
        }
        let keepAlive = request.isKeepAlive
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        }

        let head = HTTPResponseHead(
            version: request.version,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if buffer.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
