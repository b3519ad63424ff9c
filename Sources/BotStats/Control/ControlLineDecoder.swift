import NIOCore
import BotStatsProtocol

/// One framed item from a control connection.
enum ControlFrame: Sendable {
    /// A complete line without its newline.
    case line(ByteBuffer)
    /// The client sent more than `maximumLength` bytes without a newline.
    case tooLong
}

/// Splits the byte stream into newline-terminated lines, refusing lines over `maximumLength`.
///
/// Unlike a plain frame decoder it reports an overlong line as a value, so the connection can
/// answer with an error object before closing instead of just dropping.
struct ControlLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlFrame

    let maximumLength: Int
    private var overflowed = false

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if overflowed {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            var length = newline - buffer.readerIndex
            // The limit is on the request; a CRLF line ending does not count against it.
            let crlf = length > 0 && buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r")
            if crlf { length -= 1 }
            guard length <= maximumLength else { return overflow(context: context, buffer: &buffer) }
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: crlf ? 2 : 1)
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        // One byte of room for the `\r` of a CRLF that is still on its way.
        if buffer.readableBytes > maximumLength + 1 { return overflow(context: context, buffer: &buffer) }
        return .needMoreData
    }

    private mutating func overflow(context: ChannelHandlerContext, buffer: inout ByteBuffer) -> DecodingState {
        overflowed = true
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        context.fireChannelRead(wrapInboundOut(.tooLong))
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without a newline is still answered; anything else is dropped.
        while try decode(context: context, buffer: &buffer) == .continue {}
        if !overflowed, buffer.readableBytes > 0 {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
