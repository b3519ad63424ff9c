import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// `JSONWriter` must write exactly what `JSONEncoder` (sorted keys, unescaped slashes,
/// ISO 8601 dates) writes, so clients cannot tell which one answered.
@Suite struct JSONWriterTests {
    static func encoderText(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func writerText(_ value: some JSONWritable) -> String {
        var json = JSONWriter()
        value.write(to: &json)
        return json.text
    }

    @Test(arguments: [
        "", "plain", "quote \" and backslash \\", "slash / stays", "line\nbreak\ttab\rreturn",
        "\u{08}\u{0C}", "\u{00}\u{01}\u{1F}\u{7F}", "emoji 🤖 and ü", "\u{2028}\u{2029}", "</script>",
    ])
    func stringsAreEscapedLikeJSONEncoder(text: String) throws {
        #expect(Self.writerText([text]) == (try Self.encoderText([text])))
    }

    @Test(arguments: [0, 7, -1, 1520, 88_000, 1_000_000_000_000, Int.max, Int.min])
    func integersMatchJSONEncoder(number: Int) throws {
        #expect(Self.writerText([number]) == (try Self.encoderText([number])))
    }

    @Test(arguments: [0.0, 1.0, 1_779_000_000.0, 1_779_000_000.999, 946_684_799.5, 4_102_444_800.0, 253_402_300_799.0])
    func datesAreWholeSecondsInUTCLikeJSONEncoder(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(Self.writerText([date]) == (try Self.encoderText([date])))
    }

    @Test func optionalsArraysAndDictionariesMatchJSONEncoder() throws {
        let values: [Int?] = [1, nil, 3]
        #expect(Self.writerText(values) == (try Self.encoderText(values)))
        let classes = ["5xx": 2, "429": 7, "timeout": 1, "4xx": 0]
        #expect(Self.writerText(classes) == (try Self.encoderText(classes)))
        #expect(Self.writerText([String: Int]()) == "{}")
        #expect(Self.writerText([[1], [], [2, 3]]) == "[[1],[],[2,3]]")
        #expect(Self.writerText([true, false]) == "[true,false]")
    }

    @Test func objectsSeparateFieldsWithCommas() {
        var json = JSONWriter()
        json.object { json in
            json.field("a", 1)
            json.field("b", [String]())
            json.field("c", Optional<String>.none)
        }
        #expect(json.text == #"{"a":1,"b":[],"c":null}"#)
    }
}
