import Foundation
import Logging
import Testing

@testable import BotStats
@testable import BotStatsProtocol

#if canImport(Glibc)
import Glibc
#endif

/// Nothing planted in the state directory redirects a state write or read: the daemon may run as
/// root over a directory another user can write.
@Suite struct StateFileSymlinkTests {
    let directory: String
    let victim: String
    let original = Data("root:precious:0:0\n".utf8)

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("botstats-links-\(UUID().uuidString)").path
        directory = base + "/state"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Stands for a root-owned file outside the state directory.
        victim = base + "/victim"
        try original.write(to: URL(fileURLWithPath: victim))
    }

    var logger: Logger { Logger(label: "test") }
    var bots: String { directory + "/bots" }
    let bot = PersistedBot(id: "7", counts: BotCounts(servers: 3, updatedAt: Date(timeIntervalSince1970: 0)), countsVersion: 1)

    func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    func permissions(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }

    func link(_ name: String, to destination: String) throws {
        try FileManager.default.createDirectory(atPath: bots, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(bots)/\(name)", withDestinationPath: destination)
    }

    @Test(arguments: ["main.json.tmp", ".main.json.tmp", "main.json.new"])
    func aSymlinkAtATemporaryLookingNameIsNeverWrittenThrough(name: String) throws {
        try link(name, to: victim)
        let file = StateFile(directory: directory)
        for _ in 0..<20 { try file.save(bot: "main", bot) }
        #expect(FileManager.default.contents(atPath: victim) == original)
        #expect(fileType("\(bots)/main.json") == S_IFREG)
        #expect(fileType("\(bots)/\(name)") == S_IFLNK)
    }

    @Test func aStateFileThatIsASymlinkIsReplacedNotWrittenThrough() throws {
        try link("main.json", to: victim)
        try StateFile(directory: directory).save(bot: "main", bot)
        #expect(FileManager.default.contents(atPath: victim) == original)
        #expect(fileType("\(bots)/main.json") == S_IFREG)
    }

    @Test func filesAreForTheOwnerOnly() throws {
        try StateFile(directory: directory).save(bot: "main", bot)
        #expect(permissions(bots) == 0o700)
        #expect(permissions("\(bots)/main.json") == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bots) == ["main.json"])
    }

    @Test func aSymlinkedBotsDirectoryIsRefusedNamingThePath() throws {
        let elsewhere = directory + "/../elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bots, withDestinationPath: elsewhere)
        #expect {
            try StateFile(directory: directory).save(bot: "main", bot)
        } throws: { error in
            "\(error)".hasPrefix("cannot save state to \(bots): is a symbolic link;")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    @Test func aBotsEntryThatIsNotADirectoryIsRefusedNamingThePath() throws {
        _ = FileManager.default.createFile(atPath: bots, contents: Data("x".utf8))
        #expect {
            try StateFile(directory: directory).save(bot: "main", bot)
        } throws: { error in
            "\(error)".hasPrefix("cannot save state to \(bots): is not a directory;")
        }
    }

    @Test func aSymlinkedBotsDirectoryIsNotRead() throws {
        let elsewhere = directory + "/../elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try StateFile(directory: elsewhere).save(bot: "main", bot)
        try FileManager.default.createSymbolicLink(atPath: bots, withDestinationPath: elsewhere + "/bots")
        #expect(StateFile(directory: directory).load(logger: logger) == PersistedState())
        #expect(StateFile(directory: directory, writable: false).load(logger: logger) == PersistedState())
    }

    @Test func aSymlinkedStateFileIsMovedAsideAndItsTargetLeftAlone() throws {
        let elsewhere = directory + "/../other.json"
        let stateFile = StateFile(directory: directory)
        try stateFile.save(bot: "real", bot)
        try Data(contentsOf: URL(fileURLWithPath: "\(bots)/real.json")).write(to: URL(fileURLWithPath: elsewhere))
        let planted = try Data(contentsOf: URL(fileURLWithPath: elsewhere))
        try link("main.json", to: elsewhere)

        #expect(stateFile.load(logger: logger, now: Date(timeIntervalSince1970: 1234)) == PersistedState(bots: ["real": bot]))
        #expect(fileType("\(bots)/main.json") == nil)
        #expect(fileType("\(bots)/main.json.corrupt-1234") == S_IFLNK)
        #expect(try Data(contentsOf: URL(fileURLWithPath: elsewhere)) == planted)
    }

    @Test func aDryRunSkipsASymlinkedStateFileAndLeavesIt() throws {
        let elsewhere = directory + "/../other.json"
        try StateFile(directory: directory + "/..").save(bot: "x", bot)
        try FileManager.default.copyItem(atPath: directory + "/../bots/x.json", toPath: elsewhere)
        try link("main.json", to: elsewhere)
        #expect(StateFile(directory: directory, writable: false).load(logger: logger) == PersistedState())
        #expect(fileType("\(bots)/main.json") == S_IFLNK)
    }

    @Test(arguments: ["directory", "fifo"])
    func aStateFileThatIsNotARegularFileIsMovedAside(kind: String) throws {
        try FileManager.default.createDirectory(atPath: bots, withIntermediateDirectories: true)
        let path = "\(bots)/main.json"
        if kind == "directory" {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } else {
            #expect(mkfifo(path, 0o600) == 0)
        }
        #expect(StateFile(directory: directory).load(logger: logger, now: Date(timeIntervalSince1970: 99)) == PersistedState())
        #expect(fileType(path) == nil)
        #expect(fileType("\(path).corrupt-99") != nil)
    }

    @Test func leftoverTemporaryFilesAreRemovedAtLoadButNotByADryRun() throws {
        let file = StateFile(directory: directory)
        try file.save(bot: "main", bot)
        try Data("half a write".utf8).write(to: URL(fileURLWithPath: "\(bots)/.main.json.0123abcd.tmp"))
        try Data("older naming".utf8).write(to: URL(fileURLWithPath: "\(bots)/main.json.tmp"))
        try FileManager.default.createSymbolicLink(atPath: "\(bots)/.x.json.1.tmp", withDestinationPath: victim)

        #expect(StateFile(directory: directory, writable: false).load(logger: logger).bots["main"] == bot)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bots).count == 4)

        #expect(file.load(logger: logger).bots["main"] == bot)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bots) == ["main.json"])
        #expect(FileManager.default.contents(atPath: victim) == original)
    }

    @Test(arguments: ["", ".hidden", "../escape", "a/b"])
    func aBotNameThatCouldLeaveTheDirectoryIsRefused(name: String) {
        #expect(throws: StateFileError.self) {
            try StateFile(directory: directory).save(bot: name, bot)
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/escape.json"))
    }

    @Test func twoWritersOnOneDirectoryNeverFailEachOther() async throws {
        // Two daemons sharing one state directory made 228 of 1,000 sets fail: both wrote the same
        // temporary file and one renamed it away under the other. The lock now keeps a second daemon
        // out; unique temporary names keep even concurrent writers from colliding.
        let first = StateFile(directory: directory)
        let second = StateFile(directory: directory)
        let bot = self.bot
        try await withThrowingTaskGroup(of: Void.self) { group in
            for file in [first, second] {
                group.addTask {
                    for round in 0..<200 {
                        var copy = bot
                        copy.countsVersion = UInt64(round)
                        try file.save(bot: "main", copy)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(first.load(logger: logger).bots["main"]?.countsVersion == 199)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bots) == ["main.json"])
    }
}
