import Foundation
import Logging
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// A state file is input: counts no `set` could have stored make it unusable (moved aside), while
/// counters, versions and times out of range are brought into range as it loads, so a restart
/// neither traps nor stays silent for years.
@Suite struct StateFileLoadRangeTests {
    static let now = RFC3339.parse("2027-01-15T08:00:00Z")!
    static let intMax = Int.max
    static let ceiling = StateLimits.counterCeiling

    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("botstats-range-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/bots", withIntermediateDirectories: true)
    }

    var logger: Logger { Logger(label: "test") }
    var path: String { directory + "/bots/main.json" }

    /// A format-1 file for bot "1"; `members` follow `"id"`.
    static func file(_ members: String) -> String { #"{"format":1,"bot":{"id":"1",\#(members)}}"# }

    /// The bot `members` describe, decoded as the loader decodes it but not checked.
    static func bot(_ members: String) throws -> PersistedBot {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .rfc3339
        return try decoder.decode(PersistedBot.self, from: Data(#"{"id":"1",\#(members)}"#.utf8))
    }

    /// A target record with every required member; `members` (key: JSON text) add or replace.
    static func target(_ members: [String: String] = [:]) -> String {
        var all = [
            "state": #""ok""#, "delivered_version": "1", "consecutive_failures": "0", "posts_total": "1",
            "failures_total": "0", "retries_total": "0", "rate_limit": "{}",
        ]
        all.merge(members) { $1 }
        return "{" + all.sorted { $0.key < $1.key }.map { #""\#($0.key)":\#($0.value)"# }.joined(separator: ",") + "}"
    }

    func load(_ content: String) throws -> PersistedState {
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        return StateFile(directory: directory).load(logger: logger, now: Self.now)
    }

    // MARK: - Unusable: moved aside

    static let unusable: [(String, String)] = [
        ("negative servers", #""counts":{"servers":-1,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("servers above 10^12", #""counts":{"servers":1000000000001,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("servers at Int.max", #""counts":{"servers":\#(intMax),"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("negative users", #""counts":{"servers":1,"users":-1,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("shards above 10^12", #""counts":{"servers":1,"shards":\#(intMax),"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("servers beyond any integer", #""counts":{"servers":99999999999999999999,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#),
        ("negative counts version", #""counts_version":-1,"targets":{}"#),
        ("held counts negative", #""counts_version":0,"targets":{},"held":{"counts":{"servers":-7,"updated_at":"2026-01-01T00:00:00Z"},"reason":"x"}"#),
        ("recent total at Int.max", #""counts_version":0,"targets":{},"recent_totals":[{"servers":\#(intMax),"updated_at":"2026-01-01T00:00:00Z"}]"#),
        ("shard count zero", #""counts_version":0,"targets":{},"shard_count":0,"shard_reports":{}"#),
        ("shard count negative", #""counts_version":0,"targets":{},"shard_count":-4"#),
        ("shard count above 100,000", #""counts_version":0,"targets":{},"shard_count":1000000000000000"#),
        (
            "shard id beyond the shard count",
            #""counts_version":0,"targets":{},"shard_count":2,"shard_reports":{"2":{"servers":1,"updated_at":"2026-01-01T00:00:00Z"}}"#
        ),
        (
            "shard id not a number",
            #""counts_version":0,"targets":{},"shard_count":2,"shard_reports":{"one":{"servers":1,"updated_at":"2026-01-01T00:00:00Z"}}"#
        ),
        ("shard reports without a shard count", #""counts_version":0,"targets":{},"shard_reports":{"0":{"servers":1,"updated_at":"2026-01-01T00:00:00Z"}}"#),
        (
            "shard report at Int.max",
            #""counts_version":0,"targets":{},"shard_count":2,"shard_reports":{"0":{"servers":\#(intMax),"updated_at":"2026-01-01T00:00:00Z"},"1":{"servers":\#(intMax),"updated_at":"2026-01-01T00:00:00Z"}}"#
        ),
        (
            "shard report good share negative",
            #""counts_version":0,"targets":{},"shard_count":1,"shard_reports":{"0":{"servers":1,"good_servers":-1,"updated_at":"2026-01-01T00:00:00Z"}}"#
        ),
    ]

    @Test(arguments: unusable)
    func aFileNoSetCouldHaveWrittenIsMovedAside(kind: String, members: String) throws {
        let content = Self.file(members)
        #expect(try load(content) == PersistedState(), "\(kind)")
        #expect(!FileManager.default.fileExists(atPath: path), "\(kind)")
        let stamp = Int(Self.now.timeIntervalSince1970)
        #expect(try String(contentsOfFile: "\(path).corrupt-\(stamp)", encoding: .utf8) == content, "\(kind)")
    }

    @Test func theReasonNamesTheKeyAndTheRange() throws {
        let bot = try Self.bot(#""counts":{"servers":-1,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{}"#)
        #expect(bot.unusableReason() == "counts.servers -1 is outside 0 to 10^12")
        let shards = try Self.bot(#""counts_version":0,"targets":{},"shard_count":0"#)
        #expect(shards.unusableReason() == "shard_count 0 is outside 1 to 100000")
    }

    @Test func theLimitsThemselvesAreUsable() throws {
        let members =
            #""counts":{"servers":1000000000000,"users":1000000000000,"shards":1000000000000,"updated_at":"2026-01-01T00:00:00Z"},"counts_version":1,"targets":{},"shard_count":100000,"shard_reports":{"99999":{"servers":0,"updated_at":"2026-01-01T00:00:00Z"}}"#
        let bot = try Self.bot(members)
        #expect(bot.unusableReason() == nil)
        #expect(try load(Self.file(members)).bots["main"] == bot)
    }

    // MARK: - Out of range: brought into range

    /// A bot with one target `dbl` holding `record`, and `extra` bot members.
    static func withTarget(_ record: String, version: String = "1", extra: String = "") -> String {
        #""counts_version":\#(version),"targets":{"dbl":\#(record)}"# + (extra.isEmpty ? "" : "," + extra)
    }

    static let atIntMax = target([
        "consecutive_failures": "\(intMax)", "posts_total": "\(intMax)", "failures_total": "\(intMax)", "retries_total": "\(intMax)",
        "failure_classes": #"{"5xx":\#(intMax)}"#, "rate_limit": #"{"limit":\#(intMax),"remaining":\#(intMax)}"#,
    ])
    static let atCeiling = target([
        "consecutive_failures": "\(ceiling)", "posts_total": "\(ceiling)", "failures_total": "\(ceiling)",
        "retries_total": "\(ceiling)", "failure_classes": #"{"5xx":\#(ceiling)}"#,
        "rate_limit": #"{"limit":\#(ceiling),"remaining":\#(ceiling)}"#,
    ])
    static let negative = target([
        "consecutive_failures": "-1", "posts_total": "\(Int.min)", "failures_total": "-5", "retries_total": "-1",
        "failure_classes": #"{"429":-2}"#, "rate_limit": #"{"limit":-1,"remaining":-1}"#,
    ])
    static let zero = target([
        "consecutive_failures": "0", "posts_total": "0", "failures_total": "0", "retries_total": "0",
        "failure_classes": #"{"429":0}"#,
    ])
    static let version = UInt64.max
    static let renumberedBefore =
        #""counts_version":\#(version),"targets":{"#
        + #""done":\#(target(["delivered_version": "\(version)"])),"#
        + #""behind":\#(target(["delivered_version": "\(version - 1)"])),"#
        + #""never":\#(target(["delivered_version": "0"]))}"#
    static let renumberedAfter =
        #""counts_version":2,"targets":{"#
        + #""done":\#(target(["delivered_version": "2"])),"#
        + #""behind":\#(target(["delivered_version": "1"])),"#
        + #""never":\#(target(["delivered_version": "1"]))}"#
    static let tenYearsAhead = target([
        "not_before": #""2037-01-15T08:00:00Z""#,
        "rate_limit": #"{"limit":60,"remaining":0,"reset_at":"9999-12-31T23:59:59Z"}"#,
    ])
    static let sixHoursAhead = target([
        "not_before": #""2027-01-15T14:00:00Z""#,
        "rate_limit": #"{"limit":60,"remaining":0,"reset_at":"2027-01-15T14:00:00Z"}"#,
    ])
    static let withinSixHours = target([
        "not_before": #""2027-01-15T13:59:59Z""#, "rate_limit": #"{"reset_at":"2027-01-15T09:00:00Z"}"#,
    ])
    /// Every "when did it happen" of a bot, at `time`.
    static func happenedAt(_ time: String, lastSuccess: String) -> String {
        let counts = #"{"servers":5,"updated_at":"\#(time)"}"#
        let record = target(["last_attempt_at": #""\#(time)""#, "last_success_at": #""\#(lastSuccess)""#])
        return #""counts":\#(counts),"last_posted_at":"\#(time)","#
            + #""held":{"counts":{"servers":1,"updated_at":"\#(time)"},"reason":"r"},"#
            + #""recent_totals":[\#(counts)],"shard_count":1,"shard_reports":{"0":\#(counts)},"#
            + withTarget(record)
    }
    static let inThePast =
        #""counts":{"servers":5,"updated_at":"2001-01-01T00:00:00Z"},"last_posted_at":"0001-01-01T00:00:00Z","#
        + withTarget(target(["not_before": #""2001-01-01T00:00:00Z""#]))

    static let clamped: [(String, String, String)] = [
        ("counters at Int.max stop at 2^53", withTarget(atIntMax), withTarget(atCeiling)),
        ("negative counters start at zero", withTarget(negative), withTarget(zero)),
        ("an HTTP status that is none is unknown", withTarget(target(["last_status": "-1"])), withTarget(target())),
        ("an HTTP status is kept", withTarget(target(["last_status": "429"])), withTarget(target(["last_status": "429"]))),
        (
            "a list cannot have received counts newer than the bot's",
            withTarget(target(["delivered_version": "99"]), version: "3"),
            withTarget(target(["delivered_version": "3"]), version: "3")
        ),
        ("a counts version near UInt64.max is renumbered, keeping who has the current counts", renumberedBefore, renumberedAfter),
        ("waits ten years ahead are capped at six hours", withTarget(tenYearsAhead), withTarget(sixHoursAhead)),
        ("waits within six hours are kept", withTarget(withinSixHours), withTarget(withinSixHours)),
        (
            "what happened in the future happened now",
            happenedAt("2037-01-01T00:00:00Z", lastSuccess: "2030-01-01T00:00:00Z"),
            happenedAt("2027-01-15T08:00:00Z", lastSuccess: "2027-01-15T08:00:00Z")
        ),
        ("times in the past are kept", inThePast, inThePast),
    ]

    @Test(arguments: clamped)
    func outOfRangeValuesAreBroughtIntoRangeAndTheFileKept(kind: String, saved: String, expected: String) throws {
        let loaded = try load(Self.file(saved))
        #expect(loaded.bots["main"] == (try Self.bot(expected)), "\(kind)")
        #expect(FileManager.default.fileExists(atPath: path), "\(kind)")
    }

    @Test func clampingReportsEveryKeyItChanged() throws {
        var bot = try Self.bot(
            #""counts_version":1,"last_posted_at":"2037-01-01T00:00:00Z","targets":{"dbl":\#(Self.target(["posts_total": "\(Self.intMax)", "not_before": #""2037-01-01T00:00:00Z""#]))}"#
        )
        #expect(bot.clampForLoad(now: Self.now) == ["last_posted_at", "targets.dbl.posts_total", "targets.dbl.not_before"])
        #expect(bot.clampForLoad(now: Self.now) == [])
    }

    @Test func onlyTheNewestRecentTotalsAreKept() throws {
        var bot = PersistedBot(id: "1")
        bot.recentTotals = (0..<300).map { BotCounts(servers: $0, updatedAt: Date(timeIntervalSince1970: 0)) }
        let clamped = bot.clampedForLoad(now: Self.now)
        #expect(clamped.recentTotals?.count == CountsIntake.maxRecentTotals)
        #expect(clamped.recentTotals?.first?.servers == 300 - CountsIntake.maxRecentTotals)
        #expect(clamped.recentTotals?.last?.servers == 299)
    }

    @Test func aDryRunClampsWhatItLoadsButLeavesTheFileAlone() throws {
        let content = Self.file(#""counts_version":1,"targets":{"dbl":\#(Self.target(["posts_total": "\(Self.intMax)"]))}"#)
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        let loaded = StateFile(directory: directory, writable: false).load(logger: logger, now: Self.now)
        #expect(loaded.bots["main"]?.targets["dbl"]?.postsTotal == Self.ceiling)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == content)
    }
}
