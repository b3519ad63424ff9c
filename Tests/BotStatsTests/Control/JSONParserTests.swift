import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// `JSONParser` reads what a JSON text holds, refuses what is not JSON, and says where.
@Suite struct JSONParserTests {
    @Test(
        arguments: [
            (#"{"v":1,"cmd":"status"}"#, JSONValue.object(["v": .number(1), "cmd": .string("status")])),
            (" \t\r\n[ ] ", .array([])),
            ("{}", .object([:])),
            ("null", .null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("-0", .number(0)),
            ("1520", .number(1520)),
            ("-12.5e2", .number(-1250)),
            ("1E+3", .number(1000)),
            ("0.25", .number(0.25)),
            (#""a\"b\\c\/d\b\f\n\r\t""#, .string("a\"b\\c/d\u{08}\u{0C}\n\r\t")),
            (#""\u00fc\u20AC\ud83e\udd16""#, .string("ü€🤖")),
            (#""\u0000""#, .string("\u{00}")),
            (#""raw ü 🤖""#, .string("raw ü 🤖")),
            (#"[1,[2,[3]],{"a":{"b":null}}]"#, .array([.number(1), .array([.number(2), .array([.number(3)])]), .object(["a": .object(["b": .null])])])),
            (#"{"a":1,"a":2}"#, .object(["a": .number(2)])),
        ] as [(String, JSONValue)])
    func parsesValidJSON(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
    }

    @Test(
        arguments: [
            ("", "unexpected end of text"),
            ("   ", "unexpected end of text"),
            ("{", "expected a string key"),
            (#"{"a"}"#, "expected ':'"),
            (#"{"a":1,}"#, "expected a string key"),
            ("[1,]", "unexpected character"),
            ("[1 2]", "expected ']'"),
            ("01", "unexpected text after the value"),
            ("1.", "expected a digit after '.'"),
            ("1e", "expected a digit in the exponent"),
            ("-", "expected a digit"),
            ("+1", "unexpected character"),
            ("1e999", "number out of range"),
            ("nul", "unexpected word"),
            ("True", "unexpected character"),
            (#""abc"#, "unterminated string"),
            ("\"a\nb\"", "control character in a string"),
            (#""\x""#, "unknown escape"),
            (#""\u12""#, #"bad hex digit in a \u escape"#),
            (#""\ud83e""#, #"unpaired surrogate in a \u escape"#),
            (#""\udd16""#, #"unpaired surrogate in a \u escape"#),
            ("{} {}", "unexpected text after the value"),
            ("'a'", "unexpected character"),
        ] as [(String, String)])
    func refusesInvalidJSON(text: String, reason: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
        do {
            _ = try JSONParser.parse(Array(text.utf8))
        } catch {
            #expect(error.reason == reason, "\(text)")
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func limitsNestingInsteadOfExhaustingTheStack() throws {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
        let allowed = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        _ = try JSONParser.parse(Array(allowed.utf8))
        let tooDeep = "[" + allowed + "]"
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(tooDeep.utf8)) }
    }

    @Test func agreesWithJSONEncoderOnWhatItWrote() throws {
        let value = JSONValue.object([
            "cmd": .string("set"), "servers": .number(1520), "bot": .string("ü \"quoted\" \\ / \n"),
            "list": .array([.null, .bool(true), .number(-0.5)]),
        ])
        let encoded = try JSONEncoder().encode(value)
        #expect(try JSONParser.parse(Array(encoded)) == value)
    }
}
