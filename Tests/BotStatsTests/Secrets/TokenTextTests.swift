import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// A token is validated at load time as one header-safe word; what is wrong is said without it.
@Suite struct TokenTextTests {
    static let token = "tgg-SECRET-abc123"

    @Test(arguments: [
        ("plain", Array("\(token)".utf8)),
        ("final newline", Array("\(token)\n".utf8)),
        ("Windows final newline", Array("\(token)\r\n".utf8)),
        ("surrounding blanks", Array("  \t\(token) \n\n".utf8)),
        ("UTF-8 byte order mark", [0xEF, 0xBB, 0xBF] + Array("\(token)\n".utf8)),
        ("byte order mark and CRLF", [0xEF, 0xBB, 0xBF] + Array("\(token)\r\n".utf8)),
    ])
    func tokenFilesYieldTheTokenAlone(kind: String, bytes: [UInt8]) throws {
        #expect(try TokenText.fromFile(bytes).get() == Self.token, "\(kind)")
    }

    @Test(
        arguments: [
            ("Windows file with a comment (issue 11)", Array("\(token)\r\n# note\r\n".utf8), "spans several lines"),
            ("Unix file with a comment", Array("\(token)\n# note\n".utf8), "spans several lines"),
            ("lone carriage return", Array("\(token)\rmore".utf8), "spans several lines"),
            ("NUL in the middle", Array("tgg-SECRET\u{0}-abc123".utf8), "NUL character (character 11)"),
            ("escape character", Array("tgg-SECRET\u{1B}[0m".utf8), "control character (character 11)"),
            ("DEL", Array("tgg-SECRET\u{7F}".utf8), "control character"),
            ("C1 control", Array("tgg-SECRET\u{85}x".utf8), "control character"),
            ("space inside", Array("Bearer \(token)".utf8), "space or tab (character 7)"),
            ("tab inside", Array("tgg\tSECRET".utf8), "space or tab"),
            ("BOM in the middle", Array("tgg-SECRET\u{FEFF}abc".utf8), "byte order mark (character 11)"),
            ("typographic quotes", Array("“tgg-SECRET”".utf8), "non-ASCII character (character 1)"),
            ("non-breaking space", Array("tgg-SECRET\u{A0}abc".utf8), "non-ASCII character"),
            ("UTF-16 little endian", [0xFF, 0xFE, 0x74, 0x00, 0x67, 0x00], "UTF-16"),
            ("UTF-16 big endian", [0xFE, 0xFF, 0x00, 0x74, 0x00, 0x67], "UTF-16"),
            ("not UTF-8", [0x74, 0x67, 0xC3, 0x28], "not text"),
            ("empty file", [], "the file is empty"),
            ("only blank lines", Array("\n\r\n  \n".utf8), "the file is empty"),
            ("only a byte order mark", [0xEF, 0xBB, 0xBF, 0x0A], "the file is empty"),
        ] as [(String, [UInt8], String)])
    func badTokenFilesAreRefusedWithoutQuotingThem(kind: String, bytes: [UInt8], message: String) {
        switch TokenText.fromFile(bytes) {
        case .success(let token):
            Issue.record("\(kind): accepted \(token.utf8.count) bytes")
        case .failure(let problem):
            #expect(problem.description.contains(message), "\(kind): \(problem)")
            #expect(!problem.description.contains("SECRET"), "\(kind): \(problem)")
        }
    }

    @Test func inlineTokensAreTrimmedAndValidatedTheSameWay() throws {
        #expect(try TokenText.fromInline("  \(Self.token)\n").get() == Self.token)
        #expect(throws: TokenProblem.self) { try TokenText.fromInline("tgg\r\nSECRET").get() }
        #expect(throws: TokenProblem.self) { try TokenText.fromInline("tgg-SECRET\u{0}cut").get() }
        #expect(throws: TokenProblem.self) { try TokenText.fromInline("   ").get() }
    }
}
