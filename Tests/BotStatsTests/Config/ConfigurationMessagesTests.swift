import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// Issue 12 #6: messages a person can act on. Syntax errors give file:line:column and a plain
/// sentence; misspelt keys, tables and providers get "did you mean"; an unquoted id says to quote it.
@Suite struct ConfigurationMessagesTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("msg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "tgg-token-abc123\n".write(to: dir.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir.appendingPathComponent("token").path)
    }

    func errors(_ text: String) throws -> String {
        let path = dir.appendingPathComponent("botstatsd.toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigurationLoader(environment: .init()).load(path: path)
            Issue.record("expected errors")
            return ""
        } catch {
            return error.description
        }
    }

    static let bot = "[bot]\nid = \"123456789012345678\"\n"

    @Test(arguments: [
        ("[bot]\nid = \"123456789012345678\"\nrepost_interval = 1h\n", "botstatsd.toml:3:19: TOML syntax error: not a valid number"),
        ("[bot]\nid = \"123456789012345678\"\nname = main\n", "botstatsd.toml:3:8: TOML syntax error: text must be in quotes"),
        ("[bot]\nid = \"123456789012345678\n", "botstatsd.toml:2:6: TOML syntax error: the string opened here is missing its closing '\"'"),
        ("[targets.topgg\ntoken_file = \"token\"\n", "botstatsd.toml:1:15: TOML syntax error: the table header is missing its closing ']'"),
        ("[bot]\nid = \"123456789012345678\"\nid = \"123456789012345679\"\n", "botstatsd.toml:3:1: TOML syntax error: duplicate key id (first set on line 2)"),
        (
            "[bot]\nid = 123456789012345678901\n",
            "botstatsd.toml:2:6: TOML syntax error: the number is too large for a 64-bit integer; if it is an id, quote it"
        ),
    ])
    func syntaxErrorsGiveFileLineColumnAndAPlainMessage(text: String, expected: String) throws {
        let description = try errors(text)
        #expect(description.hasSuffix(expected) || description.contains(expected + "\n") || description.contains(expected), "\(description)")
        #expect(description.split(separator: "\n").count == 1)
        #expect(!description.contains("Error while parsing"), "toml++'s own wording: \(description)")
    }

    @Test(arguments: [
        (bot + "repost_intervall = \"1h\"\n", "botstatsd.toml:3: bot.repost_intervall: unknown key; did you mean repost_interval?"),
        (bot + "[retry]\nmax_attempt = 3\n", "botstatsd.toml:4: retry.max_attempt: unknown key; did you mean max_attempts?"),
        (bot + "[daemon]\nlog-level = \"info\"\n", "botstatsd.toml:4: daemon.log-level: unknown key; did you mean log_level?"),
        (
            bot + "[targets.topgg]\ntokenfile = \"token\"\ntoken_file = \"token\"\n",
            "botstatsd.toml:4: targets.topgg.tokenfile: unknown key; did you mean token_file?"
        ),
        (bot + "[target.topgg]\ntoken_file = \"token\"\n", "botstatsd.toml:3: target: unknown key; did you mean targets?"),
        ("[bots]\nid = \"123456789012345678\"\n", "botstatsd.toml:1: bots: unknown key; did you mean bot?"),
        (bot + "[targets.x]\nprovider = \"topg\"\ntoken_file = \"token\"\n", "botstatsd.toml:4: targets.x.provider: unknown provider; did you mean topgg?"),
        (bot + "[targets.x]\nprovider = \"discordbotslist\"\ntoken_file = \"token\"\n", "targets.x.provider: unknown provider; did you mean discordbotlist?"),
        (
            bot + "[targets.dicsords]\ntoken_file = \"token\"\n",
            "botstatsd.toml:3: targets.dicsords.provider: missing: 'dicsords' is not a built-in provider (did you mean discords?)"
        ),
        (bot + "colour = \"red\"\n", "bot.colour: unknown key (expected one of: "),
    ])
    func misspeltNamesGetASuggestionAndALine(text: String, expected: String) throws {
        let description = try errors(text)
        #expect(description.contains(expected), "\(description)")
    }

    @Test func anUnknownProviderIsNotQuotedEvenWithASuggestion() throws {
        let description = try errors(Self.bot + "[targets.x]\nprovider = \"tgg-SECRET-abcdefghijkl\"\ntoken_file = \"token\"\n")
        #expect(description.contains("targets.x.provider: unknown provider (expected one of"), "\(description)")
        #expect(!description.contains("SECRET"))
    }

    @Test(arguments: [
        ("[bot]\nid = 123456789012345678\n", "botstatsd.toml:2: bot.id: must be a string: quote the id, id = \"123456789012345678\""),
        ("[bot]\nid = 1.5\n", "botstatsd.toml:2: bot.id: expected a string, got a floating-point number"),
    ])
    func anUnquotedBotIdSaysToQuoteIt(text: String, expected: String) throws {
        let description = try errors(text)
        #expect(description.contains(expected), "\(description)")
    }

    @Test(arguments: [
        ("token", "token_file", 5), ("repost_intervall", "repost_interval", 1), ("tokne_file", "token_file", 1),
        ("abc", "xyz", 3), ("", "abc", 3), ("same", "same", 0),
    ])
    func editDistanceCountsSwapsAsOneEdit(a: String, b: String, expected: Int) {
        #expect(SpellingSuggestion.editDistance(a, b) == expected)
    }

    @Test func suggestionsNeedToBeClose() {
        #expect(SpellingSuggestion.closest(to: "repost_intervall", among: ["repost_interval", "source"]) == "repost_interval")
        #expect(SpellingSuggestion.closest(to: "colour", among: ["source", "name", "id"]) == nil)
        #expect(SpellingSuggestion.closest(to: "ix", among: ["id"]) == "id")
        #expect(SpellingSuggestion.closest(to: "xy", among: ["id"]) == nil)
        #expect(SpellingSuggestion.closest(to: "TOKEN_FILE", among: ["token_file"]) == "token_file")
    }
}
