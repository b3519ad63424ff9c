import NIOCore
import NIOEmbedded
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Framing of control requests: one line each, at most 64 KiB of request, CRLF or LF.
@Suite struct ControlLineDecoderTests {
    private func frames(_ input: [UInt8], maximumLength: Int, closeInput: Bool = false) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ControlLineDecoder(maximumLength: maximumLength)))
        try channel.writeInbound(ByteBuffer(bytes: input))
        if closeInput { channel.pipeline.fireChannelInactive() }
        var out: [String] = []
        while let frame = try channel.readInbound(as: ControlFrame.self) {
            switch frame {
            case .line(let line): out.append(String(buffer: line))
            case .tooLong: out.append("<too long>")
            }
        }
        return out
    }

    @Test func aRequestOfExactlyTheLimitIsAcceptedWithEitherLineEnding() throws {
        let request = Array(repeating: UInt8(ascii: "x"), count: 16)
        #expect(try frames(request + Array("\r\n".utf8), maximumLength: 16) == [String(repeating: "x", count: 16)])
        #expect(try frames(request + Array("\n".utf8), maximumLength: 16) == [String(repeating: "x", count: 16)])
    }

    @Test func aCRLFArrivingInPiecesIsNotTakenForAnOverlongLine() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(ControlLineDecoder(maximumLength: 4)))
        try channel.writeInbound(ByteBuffer(string: "abcd\r"))
        try channel.writeInbound(ByteBuffer(string: "\n"))
        guard case .line(let line)? = try channel.readInbound(as: ControlFrame.self) else {
            Issue.record("no line")
            return
        }
        #expect(String(buffer: line) == "abcd")
    }

    @Test func oneByteOverTheLimitIsTooLong() throws {
        #expect(try frames(Array("abcde\r\n".utf8), maximumLength: 4) == ["<too long>"])
        #expect(try frames(Array("abcdef".utf8), maximumLength: 4) == ["<too long>"])
    }

    @Test func aLastLineWithoutNewlineIsStillALine() throws {
        #expect(try frames(Array("one\ntwo".utf8), maximumLength: 64, closeInput: true) == ["one", "two"])
    }
}
