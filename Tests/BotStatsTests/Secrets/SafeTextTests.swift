import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// What a list sends back, and what an HTTP client says, becomes one safe line before it is stored
/// or shown: no secrets in any form, no control characters or escape sequences, bounded in bytes.
@Suite struct SafeTextTests {
    static let token = "tgg-SECRET-abcdefghij0123"  // 25 characters, as in issue 11
    static let redactor = Redactor(secrets: [Secret(token)])

    static func safe(_ text: String, limit: Int = 300) -> String {
        SafeText(text, redactor: redactor, byteLimit: limit).text
    }

    @Test(arguments: [
        ("colour", "\u{1B}[31mred\u{1B}[0m text", "red text"),
        ("cursor movement and erase", "a\u{1B}[2J\u{1B}[1;1Hb\u{1B}[K", "ab"),
        ("private-mode CSI", "x\u{1B}[?25ly", "xy"),
        ("OSC title, BEL-terminated", "\u{1B}]0;pwned\u{7}body", "body"),
        ("OSC 8 hyperlink, ST-terminated", "\u{1B}]8;;https://evil.example\u{1B}\\click\u{1B}]8;;\u{1B}\\", "click"),
        ("DCS string", "a\u{1B}Pq#0;2;0;0;0\u{1B}\\b", "ab"),
        ("two-character escape", "a\u{1B}cb\u{1B}(Bc", "abc"),
        ("C1 CSI", "a\u{9B}31mb", "ab"),
        ("C1 OSC", "a\u{9D}0;title\u{9C}b", "ab"),
        ("C0 controls", "a\u{0}b\u{7}c\u{8}d\u{7F}e", "abcde"),
        ("C1 controls", "a\u{85}b\u{80}c", "a bc"),
        ("line breaks and tabs", "line one\r\nline two\n\n\tindented", "line one line two indented"),
        ("forged log line", "ok\n<3>botstatsd: fake critical", "ok <3>botstatsd: fake critical"),
        ("Unicode line separators", "a\u{2028}b\u{2029}c", "a b c"),
        ("bidirectional overrides", "abc\u{202E}fed\u{2066}x\u{2069}", "abcfedx"),
        ("runs of whitespace", "  many    spaces \u{A0}\u{A0} here  ", "many spaces here"),
        ("lone ESC at the end", "text\u{1B}", "text"),
        ("unterminated OSC swallows the rest", "text\u{1B}]0;never ends", "text"),
    ])
    func controlsAndEscapeSequencesAreRemoved(kind: String, text: String, expected: String) {
        #expect(Self.safe(text) == expected, "\(kind)")
    }

    /// Issue 11 #2: `last_error` was cut to 300 bytes before redaction, so a token echoed at
    /// the cut lost its last character and escaped the redactor.
    @Test(arguments: [275, 276, 280, 285, 290, 295, 299])
    func aTokenAtTheByteLimitIsRedactedBeforeTheCut(offset: Int) {
        let body = String(repeating: "x", count: offset) + "Bearer " + Self.token + " rest of the echo"
        let result = Self.safe(body)
        #expect(result.utf8.count <= 300)
        #expect(!RedactorTests.leaksPiece(of: Self.token, in: result, length: 4), "\(result)")
    }

    @Test(arguments: [
        ("401 body echoing the header", #"{"error":"Unauthorized","received":{"authorization":"Bearer tgg-SECRET-abcdefghij0123"}}"#),
        ("JSON-escaped echo", #"{"echo":"Bearer tgg-SECRET-abcdefghij0123\r\n"}"#),
        ("percent-encoded echo", "bad token: tgg%2DSECRET%2Dabcdefghij0123"),
        ("token split by an escape sequence", "Bearer tgg-SECRET-\u{1B}[1mabcdefghij0123\u{1B}[0m"),
        ("token split by a control character", "Bearer tgg-SECRET-abc\u{0}defghij0123"),
        ("token cut by the list", "... Bearer tgg-SECRET-abcdefghij012"),
        ("token's tail at the start", "SECRET-abcdefghij0123\" is not valid"),
        ("HTTP client error quoting the header", "invalidHeaderFieldValues([\"Bearer tgg-SECRET-abcdefghij0123\"])"),
    ])
    func secretsInAnyFormNeverSurvive(kind: String, text: String) {
        let result = Self.safe(text)
        #expect(result.contains(Redactor.marker), "\(kind): \(result)")
        #expect(!RedactorTests.leaksPiece(of: Self.token, in: result, length: 5), "\(kind): \(result)")
    }

    @Test(arguments: [
        ("ASCII", String(repeating: "a", count: 400), 300, String(repeating: "a", count: 297) + "…"),
        ("exactly at the limit", String(repeating: "a", count: 300), 300, String(repeating: "a", count: 300)),
        ("two-byte characters", String(repeating: "é", count: 200), 11, "éééé…"),
        ("emoji with a modifier is one character", String(repeating: "👍🏽", count: 10), 12, "👍🏽…"),
        ("combining marks stay with their letter", String(repeating: "e\u{301}", count: 10), 10, "e\u{301}e\u{301}…"),
        ("no trailing space before the ellipsis", "word " + String(repeating: "b", count: 20), 8, "word…"),
    ])
    func truncationKeepsWholeCharactersWithinTheLimit(kind: String, text: String, limit: Int, expected: String) {
        let result = Self.safe(text, limit: limit)
        #expect(result == expected, "\(kind)")
        #expect(result.utf8.count <= limit, "\(kind)")
    }

    @Test func bytesThatAreNotUTF8BecomeReplacementCharacters() {
        let result = SafeText(utf8: [0x6F, 0x6B, 0xFF, 0xC3, 0x20, 0x9B, 0x33, 0x31, 0x6D], redactor: Self.redactor).text
        #expect(result == "ok\u{FFFD}\u{FFFD} \u{FFFD}31m")
    }

    @Test func aHugeBodyIsBoundedAndQuick() {
        let body = Array(repeating: UInt8(ascii: "<"), count: 4 << 20)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(SafeText(utf8: body, redactor: Self.redactor).text.utf8.count <= 300)
        }
        #expect(elapsed < .seconds(2))
    }

    @Test func aTokenCutByTheInputBoundIsStillRedacted() {
        let prefix = String(repeating: " ", count: 16384 - 10)
        let result = Self.safe(prefix + Self.token + " trailing")
        #expect(result == Redactor.marker, "\(result)")
    }

    @Test func emptyAndBlankTextStayEmpty() {
        #expect(Self.safe("").isEmpty)
        #expect(Self.safe(" \r\n\t ").isEmpty)
        #expect(SafeText("x", redactor: Self.redactor).description == "x")
    }
}
