import Foundation
import Glibc
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Files that are not what they should be: FIFOs, directories, devices, huge or binary files are
/// refused at once with the key or file they stand in for; nothing blocks.
@Suite struct ConfigurationFileTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfgf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("bots.d"), withIntermediateDirectories: true)
        try "tgg-token-abc123\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.appendingPathComponent("token").path)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func writeMain(_ text: String) throws -> String {
        try text.write(toFile: path("botstatsd.toml"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("botstatsd.toml"))
        return path("botstatsd.toml")
    }

    /// Loads and returns the error text and how long loading took.
    func failure(_ config: String) -> (text: String, elapsed: Duration) {
        let clock = ContinuousClock()
        var text = ""
        let elapsed = clock.measure {
            do {
                _ = try ConfigurationLoader(environment: .init()).load(path: config)
                Issue.record("expected the configuration to be rejected")
            } catch {
                text = "\(error)"
            }
        }
        return (text, elapsed)
    }

    /// Makes a FIFO at `path`, and opens and closes its write end after a few seconds, so that a
    /// loader that (wrongly) blocks opening it is released and the test fails instead of hanging.
    func makeFIFO(_ path: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.init(rawValue: errno)!) }
        Thread.detachNewThread {
            usleep(3_000_000)
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
        }
    }

    static let bot = "[bot]\nid = \"123456789012345678\"\n"

    @Test func aFIFOAsTokenFileIsRefusedAtOnce() throws {
        try makeFIFO(path("fifo-token"))
        let (text, elapsed) = failure(try writeMain(Self.bot + "[targets.topgg]\ntoken_file = \"fifo-token\"\n"))
        #expect(elapsed < .seconds(1), "loading took \(elapsed)")
        #expect(text.contains("botstatsd.toml:4: targets.topgg.token_file: is a FIFO (named pipe), not a regular file"), "\(text)")
    }

    @Test func aFIFOAsDropInIsRefusedAtOnce() throws {
        try makeFIFO(path("bots.d/x.toml"))
        let (text, elapsed) = failure(try writeMain(Self.bot))
        #expect(elapsed < .seconds(1), "loading took \(elapsed)")
        #expect(text.contains("bots.d/x.toml: cannot read the configuration: is a FIFO (named pipe), not a regular file"), "\(text)")
    }

    @Test func aFIFOAsTheMainFileIsRefusedAtOnce() throws {
        try makeFIFO(path("fifo.toml"))
        let (text, elapsed) = failure(path("fifo.toml"))
        #expect(elapsed < .seconds(1), "loading took \(elapsed)")
        #expect(text.contains("fifo.toml: cannot read the configuration: is a FIFO"), "\(text)")
    }

    /// Issue 19: a directory called `x.toml` was "not UTF-8 text".
    @Test func aDirectoryNamedLikeADropInIsCalledADirectory() throws {
        try FileManager.default.createDirectory(atPath: path("bots.d/x.toml"), withIntermediateDirectories: true)
        let (text, _) = failure(try writeMain(Self.bot))
        #expect(text.contains("bots.d/x.toml: cannot read the configuration: is a directory, not a regular file"), "\(text)")
        #expect(!text.contains("UTF-8"))
    }

    @Test(arguments: [
        ("/dev/zero", "is a character device, not a regular file"),
        ("/dev/null", "is a character device, not a regular file"),
        ("/", "is a directory, not a regular file"),
    ])
    func devicesAndDirectoriesAreNotTokenFiles(file: String, message: String) throws {
        let (text, elapsed) = failure(try writeMain(Self.bot + "[targets.topgg]\ntoken_file = \"\(file)\"\n"))
        #expect(elapsed < .seconds(1))
        #expect(text.contains("targets.topgg.token_file: \(message)"), "\(text)")
    }

    @Test func hugeFilesAreRefusedWithoutBeingReadWhole() throws {
        let big = path("big")
        #expect(FileManager.default.createFile(atPath: big, contents: Data(count: 2 << 20)))
        let (token, _) = failure(try writeMain(Self.bot + "[targets.topgg]\ntoken_file = \"big\"\n"))
        #expect(token.contains("targets.topgg.token_file: is larger than 64 KiB"), "\(token)")
        let (main, _) = failure(big)
        #expect(main.contains("cannot read the configuration: is larger than 1 MiB"), "\(main)")
    }

    @Test func aConfigurationThatIsNotUTF8SaysSo() throws {
        let file = path("latin1.toml")
        try Data([0x23, 0x20, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: file))
        let (text, _) = failure(file)
        #expect(text.contains("latin1.toml: cannot read the configuration: not UTF-8 text"), "\(text)")
    }

    @Test func aSymbolicLinkToARegularFileIsFollowed() throws {
        try FileManager.default.createSymbolicLink(atPath: path("link"), withDestinationPath: path("token"))
        let config = try writeMain(Self.bot + "[targets.topgg]\ntoken_file = \"link\"\n")
        let loaded = try ConfigurationLoader(environment: .init()).load(path: config)
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "tgg-token-abc123")
    }
}
