import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Hand-made RFC 3339 must agree with Foundation's ISO 8601 support, which it replaces.
@Suite struct RFC3339Tests {
    static let instants: [Double] = [0, 1, 59.999, 946_684_799.5, 951_782_400, 1_779_000_000, 1_779_000_000.75, 4_102_444_800, 253_402_300_799]

    @Test(arguments: instants)
    func formatsLikeFoundation(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(RFC3339.format(date) == date.formatted(.iso8601))
    }

    @Test(arguments: instants)
    func parsesWhatFoundationWrites(seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds.rounded(.down))
        #expect(RFC3339.parse(date.formatted(.iso8601)) == date)
    }

    @Test(arguments: [
        ("2026-11-23T21:08:00Z", 1_795_468_080.0),
        ("2026-11-23t21:08:00z", 1_795_468_080),
        ("2026-11-23T21:08:00.250Z", 1_795_468_080.25),
        ("2026-11-23T23:08:00+02:00", 1_795_468_080),
        ("2026-11-23T20:38:00-00:30", 1_795_468_080),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
    ])
    func parsesOffsetsAndFractions(text: String, seconds: Double) {
        #expect(RFC3339.parse(text) == Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: [
        "", "2026-11-23", "2026-11-23T21:08:00", "2026-11-23 21:08:00Z", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-23T24:00:00Z", "2026-11-23T21:08:00.Z", "2026-11-23T21:08:00+0200", "2026-11-23T21:08:00Zjunk",
        "２０２６-11-23T21:08:00Z", "2026-11-23T21:08:00+02:00:00",
    ])
    func refusesWhatIsNotATimestamp(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func encoderAndDecoderStrategiesRoundTrip() throws {
        struct Stamped: Codable, Equatable { var at: Date }
        let value = Stamped(at: Date(timeIntervalSince1970: 1_779_000_000))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .rfc3339
        let data = try encoder.encode(value)
        #expect(String(decoding: data, as: UTF8.self) == #"{"at":"2026-05-17T06:40:00Z"}"#)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .rfc3339
        #expect(try decoder.decode(Stamped.self, from: data) == value)
        #expect(throws: DecodingError.self) { try decoder.decode(Stamped.self, from: Data(#"{"at":"soon"}"#.utf8)) }
    }
}
