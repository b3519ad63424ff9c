import Foundation
import Logging
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct StateFileTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("botstats-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var logger: Logger { Logger(label: "test") }

    @Test func savedStateLoadsBackIdentically() throws {
        let file = StateFile(directory: directory)
        var target = PersistedTarget()
        target.state = .rateLimited
        target.notBefore = Date(timeIntervalSince1970: 2_000_000_000)
        target.lastStatus = 429
        target.rateLimit = RateLimitWindow(limit: 60, remaining: 0, resetAt: Date(timeIntervalSince1970: 2_000_000_000))
        let counts = BotCounts(servers: 1520, users: 88000, shards: 2, updatedAt: Date(timeIntervalSince1970: 1_900_000_000))
        let state = PersistedState(bots: ["main": PersistedBot(id: "1", counts: counts, countsVersion: 3, targets: ["topgg": target])])
        for (name, bot) in state.bots { try file.save(bot: name, bot) }
        // Loaded at the moment of the cooldown's end: nothing is in the future, nothing is clamped.
        #expect(file.load(logger: logger, now: Date(timeIntervalSince1970: 2_000_000_000)) == state)
        #expect(FileManager.default.fileExists(atPath: file.path(forBot: "main")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: file.botsDirectory) == ["main.json"])
    }

    @Test func missingFileIsAnEmptyState() {
        #expect(StateFile(directory: directory).load(logger: logger) == PersistedState())
    }

    @Test(arguments: ["", "{", "\u{0}\u{1}\u{2}garbage", #"{"format":99,"bot":{"id":"1","counts_version":0,"targets":{}}}"#, #"{"format":1,"bot":{"id":5}}"#])
    func corruptFileIsMovedAsideNotOverwritten(content: String) throws {
        let file = StateFile(directory: directory)
        let healthy = PersistedBot(id: "7", counts: BotCounts(servers: 3, updatedAt: Date(timeIntervalSince1970: 0)), countsVersion: 1)
        try file.save(bot: "other", healthy)
        let path = file.path(forBot: "main")
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        #expect(file.load(logger: logger, now: Date(timeIntervalSince1970: 1234)) == PersistedState(bots: ["other": healthy]))
        #expect(!FileManager.default.fileExists(atPath: path))
        let aside = try String(contentsOfFile: path + ".corrupt-1234", encoding: .utf8)
        #expect(aside == content)
    }

    @Test func saveIntoAMissingDirectoryFailsWithTheReason() {
        let file = StateFile(directory: directory + "/does/not/exist")
        #expect {
            try file.save(bot: "main", PersistedBot(id: "1"))
        } throws: { error in
            "\(error)".contains("No such file or directory")
        }
    }

    @Test func aReadOnlyStateFileReadsButNeverWritesOrMoves() throws {
        let writable = StateFile(directory: directory)
        let saved = PersistedBot(id: "7", counts: BotCounts(servers: 3, updatedAt: Date(timeIntervalSince1970: 0)), countsVersion: 1)
        try writable.save(bot: "other", saved)
        let broken = writable.path(forBot: "main")
        try Data("{".utf8).write(to: URL(fileURLWithPath: broken))

        let dryRun = StateFile(directory: directory, writable: false)
        #expect(dryRun.load(logger: logger, now: Date(timeIntervalSince1970: 1234)) == PersistedState(bots: ["other": saved]))
        #expect(FileManager.default.fileExists(atPath: broken))
        #expect(!FileManager.default.fileExists(atPath: broken + ".corrupt-1234"))
        try dryRun.save(bot: "other", PersistedBot(id: "7"))
        try dryRun.save(bot: "new", PersistedBot(id: "8"))
        #expect(writable.load(logger: logger, now: Date(timeIntervalSince1970: 1235)).bots["other"] == saved)
        #expect(!FileManager.default.fileExists(atPath: writable.path(forBot: "new")))
    }
}
