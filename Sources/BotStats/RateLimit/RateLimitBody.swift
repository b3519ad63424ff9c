import FoundationEssentials
import BotStatsProtocol

/// The wait a JSON 429 body asks for: `retry_after` / `retry-after` in seconds (Discord,
/// top.gg, which sends only the body field) and `expiresIn` in milliseconds.
enum RateLimitBody {
    /// Bodies larger than this are not parsed: a rate-limit answer is a few dozen bytes, and a
    /// list that sends megabytes of HTML must not cost us a JSON parse on every retry.
    static let maximumSize = 64 * 1024

    /// Reports a refused value: the body field, the raw text, and why.
    typealias Reject = (_ field: String, _ raw: String, _ why: ValueRejection) -> Void

    /// The largest wait among the body's fields (uncapped), or nil when it names none.
    ///
    /// Only top-level fields of a JSON object count; numbers and numeric strings are both
    /// accepted because lists are inconsistent about quoting.
    static func wait(from body: [UInt8], reject: Reject) -> Duration? {
        guard body.count <= maximumSize, looksLikeObject(body) else { return nil }
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(body)) else {
            // Worth a debug line: it looked like the JSON a list answers with, so a wait may be lost.
            reject("body", "(unparseable JSON object)", .malformed)
            return nil
        }
        var longest: Duration?
        for (name, raw) in fields.values {
            let parsed: Result<DecimalSeconds, ValueRejection>
            let rawText: String
            switch raw {
            case .number(let n):
                parsed = DecimalSeconds.fromSaturating(n)
                rawText = "\(n)"
            case .text(let s):
                parsed = DecimalSeconds.parseSaturating(s)
                rawText = s
            case .other:
                parsed = .failure(.malformed)
                rawText = "(not a number)"
            }
            switch parsed {
            case .success(let value):
                let wait = name == "expiresIn" ? value.asMilliseconds : value.asSeconds
                longest = max(longest ?? wait, wait)
            case .failure(let why):
                reject(name, rawText, why)
            }
        }
        return longest
    }

    /// A cheap check before handing bytes to the JSON decoder: an HTML error page or plain
    /// text is common on 429s and is not worth a failed parse.
    private static func looksLikeObject(_ body: [UInt8]) -> Bool {
        let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        return body.first { !whitespace.contains($0) } == UInt8(ascii: "{")
    }

    private struct Fields: Decodable {
        enum Raw {
            case number(Double)
            case text(String)
            case other
        }

        static let names = ["retry_after", "retry-after", "expiresIn"]
        var values: [(name: String, raw: Raw)] = []

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for name in Self.names {
                let key = Key(stringValue: name)
                // `null` means the list has nothing to say, not that it said something wrong.
                guard container.contains(key), (try? container.decodeNil(forKey: key)) == false else { continue }
                if let n = try? container.decode(Double.self, forKey: key) {
                    values.append((name, .number(n)))
                } else if let s = try? container.decode(String.self, forKey: key) {
                    values.append((name, .text(s)))
                } else {
                    values.append((name, .other))
                }
            }
        }
    }
}
