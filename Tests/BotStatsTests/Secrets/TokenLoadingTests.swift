import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Tokens through the loader: every source is validated, errors and warnings never carry a token
/// nor the value of a token key, and `token_credential` works outside systemd.
@Suite struct TokenLoadingTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func writeFile(_ name: String, _ bytes: [UInt8], mode: Int = 0o600) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        return url.path
    }

    func load(_ target: String, environment: ConfigurationEnvironment = .init()) throws -> LoadedConfiguration {
        let config = try writeFile(
            "botstatsd.toml", Array("[bot]\nid = \"123456789012345678\"\n\n[targets.topgg]\n\(target)\n".utf8))
        return try ConfigurationLoader(environment: environment).load(path: config)
    }

    /// The error text, or a recorded issue when the configuration loaded.
    func failure(_ target: String, environment: ConfigurationEnvironment = .init()) -> String {
        do {
            _ = try load(target, environment: environment)
            Issue.record("expected the configuration to be rejected")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test(
        arguments: [
            ("CRLF and a comment", Array("tgg-SECRET-crlf\r\n# note\r\n".utf8), "spans several lines"),
            ("LF and a comment", Array("tgg-SECRET-lf\n# note\n".utf8), "spans several lines"),
            ("NUL", Array("tgg-SECRET\u{0}nul".utf8), "NUL character"),
            ("space", Array("Bearer tgg-SECRET-sp".utf8), "space or tab"),
            ("UTF-16", [0xFF, 0xFE, 0x41, 0x00], "UTF-16"),
        ] as [(String, [UInt8], String)])
    func badTokenFilesAreRejectedAtLoad(kind: String, bytes: [UInt8], message: String) throws {
        _ = try writeFile("tokens/topgg", bytes)
        let description = failure("token_file = \"tokens/topgg\"")
        #expect(description.contains("botstatsd.toml:5: targets.topgg.token_file: "), "\(kind): \(description)")
        #expect(description.contains(message), "\(kind): \(description)")
        #expect(!description.contains("SECRET"), "\(kind): \(description)")
    }

    @Test func aByteOrderMarkIsNotPartOfTheToken() throws {
        _ = try writeFile("tokens/topgg", [0xEF, 0xBB, 0xBF] + Array("tgg-SECRET-bom\r\n".utf8))
        let loaded = try load("token_file = \"tokens/topgg\"")
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "tgg-SECRET-bom")
    }

    @Test func anEscapedNULInAnInlineTokenIsRefusedNotCutShort() {
        let description = failure(#"token = "tgg-SECRET-before\u0000after""#)
        #expect(description.contains("targets.topgg.token: holds a NUL character"), "\(description)")
        #expect(!description.contains("SECRET"))
    }

    /// Issue 11 #3: a token pasted where a path belongs was echoed by "no such file".
    @Test(arguments: [
        "token_file = \"tgg-SECRET-pasted-into-the-path-key\"",
        "token_file = \"/etc/botstatsd/tgg-SECRET-pasted\"",
        "token_credential = \"tgg-SECRET-pasted-as-credential\"",
        "token_credential = \"tgg/SECRET/with/slashes\"",
    ])
    func theValueOfATokenKeyIsNeverEchoed(line: String) {
        let description = failure(line)
        #expect(description.contains("botstatsd.toml:5: targets.topgg.token_"), "\(description)")
        #expect(!description.contains("SECRET"), "\(description)")
    }

    @Test func aPastedTokenGetsAHint() {
        let description = failure("token_file = \"tgg-SECRET-pasted-into-the-path-key\"")
        #expect(description.contains("no such file"))
        #expect(description.contains("if this is the token itself, put it in a file"), "\(description)")
    }

    @Test(arguments: [(0o644, true), (0o604, true), (0o660, true), (0o640, false), (0o600, false), (0o400, false)])
    func aTokenFileOthersCanReadIsWarnedAbout(mode: Int, warned: Bool) throws {
        _ = try writeFile("tokens/topgg", Array("tgg-SECRET-mode\n".utf8), mode: mode)
        let warnings = try load("token_file = \"tokens/topgg\"").warnings
        #expect(warnings.count == (warned ? 1 : 0), "\(warnings)")
        if warned {
            #expect(warnings[0].contains("botstatsd.toml:5: targets.topgg.token_file: the token file has mode 0"), "\(warnings)")
            #expect(!warnings[0].contains("SECRET"))
        }
    }

    /// Issue 10 #7: `--check-config` outside the unit resolves credentials from `tokens/` beside the
    /// configuration, the directory the shipped unit loads them from.
    @Test(arguments: ["topgg", "token_topgg"])
    func aCredentialIsReadFromTokensBesideTheConfigurationOutsideSystemd(name: String) throws {
        _ = try writeFile("tokens/topgg", Array("tgg-SECRET-credential\n".utf8))
        let loaded = try load("token_credential = \"\(name)\"")
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "tgg-SECRET-credential")
    }

    @Test func aMissingCredentialNamesTheDirectoryTheUnitLoadsFrom() {
        let description = failure("token_credential = \"topgg\"")
        #expect(description.contains("targets.topgg.token_credential: CREDENTIALS_DIRECTORY is not set"), "\(description)")
        #expect(description.contains("\(dir.path)/tokens, the directory the unit loads credentials from"), "\(description)")
    }

    @Test(arguments: ["topgg", "token_topgg"])
    func underSystemdTheCredentialsDirectoryWins(file: String) throws {
        _ = try writeFile("tokens/topgg", Array("tgg-SECRET-beside\n".utf8))
        _ = try writeFile("credentials/\(file)", Array("tgg-SECRET-systemd\n".utf8), mode: 0o400)
        let environment = ConfigurationEnvironment(credentialsDirectory: dir.appendingPathComponent("credentials").path)
        let loaded = try load("token_credential = \"topgg\"", environment: environment)
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "tgg-SECRET-systemd")
        #expect(loaded.warnings.isEmpty)
        let missing = failure("token_credential = \"other\"", environment: environment)
        #expect(missing.contains("no such credential in $CREDENTIALS_DIRECTORY"), "\(missing)")
    }

    @Test func dropInsResolveCredentialsBesideTheMainFile() throws {
        _ = try writeFile("tokens/second", Array("tgg-SECRET-second\n".utf8))
        _ = try writeFile(
            "bots.d/second.toml",
            Array("[bot]\nid = \"223456789012345678\"\n[targets.topgg]\ntoken_credential = \"second\"\n".utf8))
        let config = try writeFile("botstatsd.toml", Array("[daemon]\nlog_level = \"info\"\n".utf8))
        let loaded = try ConfigurationLoader(environment: .init()).load(path: config)
        #expect(loaded.configuration.bots.map(\.name) == ["second"])
        #expect(loaded.configuration.bots[0].targets[0].token.revealed == "tgg-SECRET-second")
    }
}
