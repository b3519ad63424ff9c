import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The status object as the control socket writes it: every field present, keys sorted, and
/// readable by `botstatsctl`'s decoder into the same report.
@Suite struct StatusJSONTests {
    static let now = Date(timeIntervalSince1970: 1_779_000_000)

    static func fullReport() -> StatusReport {
        let target = TargetStatus(
            name: "topgg", provider: "topgg", state: .rateLimited, lastAttemptAt: now, lastSuccessAt: now.addingTimeInterval(-60),
            lastStatus: 429, lastError: "HTTP 429 \"slow down\"\nnext line", consecutiveFailures: 2, postsTotal: 10, failuresTotal: 3,
            retriesTotal: 2, failuresByClass: ["429": 2, "5xx": 1], nextAttemptAt: now.addingTimeInterval(30),
            rateLimit: RateLimitStatus(limit: 60, remaining: 0, resetAt: now.addingTimeInterval(30), resetInSeconds: 30))
        let quiet = TargetStatus(
            name: "dbl", provider: "discordbotlist", state: .ok, lastAttemptAt: nil, lastSuccessAt: nil, lastStatus: nil,
            lastError: nil, consecutiveFailures: 0, postsTotal: 0, failuresTotal: 0, retriesTotal: 0, nextAttemptAt: nil,
            rateLimit: RateLimitStatus(limit: nil, remaining: nil, resetAt: nil, resetInSeconds: nil))
        let sharded = BotStatus(
            name: "main", id: "123", counts: CountsStatus(servers: 1520, users: 88_000, shards: 4, updatedAt: now),
            lastPostedAt: now, nextRepostAt: now.addingTimeInterval(3600), nextRepostInSeconds: 3600, repostIntervalSeconds: 3600,
            held: HeldStatus(servers: 3, users: nil, shards: 4, reason: "drop of 99%"),
            shards: ShardsStatus(count: 4, reported: 3, stale: [1], missing: [3]),
            source: SourceStatus(kind: "discord", lastFetchAt: now, lastError: "Discord said no"),
            targets: [target, quiet])
        let empty = BotStatus(
            name: "other/bot", id: "456", counts: CountsStatus(servers: nil, users: nil, shards: nil, updatedAt: nil),
            lastPostedAt: nil, nextRepostAt: nil, nextRepostInSeconds: nil, repostIntervalSeconds: nil, targets: [])
        return StatusReport(
            version: "0.1.0", pid: 42, uptimeSeconds: 7, configPath: "/etc/botstatsd/botstatsd.toml", configLoadedAt: now,
            lastReloadError: "line 3: bad", bots: [sharded, empty])
    }

    static func written(_ report: StatusReport) -> String {
        var json = JSONWriter()
        report.write(to: &json)
        return json.text
    }

    @Test func decodesBackToTheSameReport() throws {
        let report = Self.fullReport()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(StatusReport.self, from: Data(Self.written(report).utf8)) == report)
    }

    @Test func keysAreSortedAndTheTextIsCompactLikeJSONEncoder() throws {
        let text = Self.written(Self.fullReport())
        // Re-encoding the parsed value with JSONEncoder's sorted keys must give the same bytes.
        let value = try JSONParser.parse(Array(text.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == text)
    }

    @Test func unknownValuesAreExplicitNulls() throws {
        let text = Self.written(Self.fullReport())
        guard case .object(let root) = try JSONParser.parse(Array(text.utf8)), case .array(let bots)? = root["bots"],
            case .object(let empty) = bots[1]
        else {
            Issue.record("unexpected shape: \(text)")
            return
        }
        for key in ["held", "shards", "source", "last_posted_at", "next_repost_at", "next_repost_in_seconds", "repost_interval_seconds"] {
            #expect(empty[key] == .null, "\(key)")
        }
        #expect(empty["counts"] == .object(["servers": .null, "users": .null, "shards": .null, "updated_at": .null]))
    }

    @Test func responseLineCarriesTheReport() throws {
        let line = ControlResponse.success(Self.fullReport())
        #expect(line.hasPrefix(#"{"ok":true,"result":{"bots":["#))
        #expect(line.hasSuffix(#","v":1}"#))
        #expect(!line.contains("\n"))
    }

    @Test func repeatedEqualReportsReuseTheWrittenLine() {
        let cache = LastStatusLine()
        var report = Self.fullReport()
        let first = cache.line(for: report)
        #expect(cache.line(for: report) == first)
        report.uptimeSeconds += 1
        let second = cache.line(for: report)
        #expect(second != first)
        #expect(second.contains(#""uptime_seconds":8"#))
        report.bots[0].targets[0].postsTotal += 1
        #expect(cache.line(for: report).contains(#""posts_total":11"#))
    }
}
