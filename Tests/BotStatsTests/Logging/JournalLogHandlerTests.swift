import Logging
import Synchronization
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct JournalLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    func logger(_ lines: Lines, secrets: [Secret] = []) -> Logger {
        Logger(label: "test") { label in
            JournalLogHandler(label: label, level: .debug, secrets: secrets, write: { lines.append($0) })
        }
    }

    @Test(arguments: [(Logger.Level.debug, "<7>"), (.info, "<6>"), (.notice, "<5>"), (.warning, "<4>"), (.error, "<3>"), (.critical, "<2>")])
    func linesCarryTheJournalPriorityPrefix(level: Logger.Level, prefix: String) {
        let lines = Lines()
        logger(lines).log(level: level, "hello", metadata: ["target.name": "topgg"])
        #expect(lines.all == ["\(prefix)hello target.name=topgg\n"])
    }

    @Test func tokensNeverReachTheLineEvenWhenInterpolatedByMistake() {
        let lines = Lines()
        let token = "tok-SECRET-0123456789"
        let log = logger(lines, secrets: [Secret(token)])
        log.error("list said: invalid token \(token)", metadata: ["body": "\(token)"])
        log.info("secret value \(Secret(token))")
        #expect(lines.all.count == 2)
        #expect(lines.all.allSatisfy { !$0.contains("SECRET") })
    }

    @Test func aReloadChangesTheLevelAndTheTokensOfLoggersAlreadyHandedOut() {
        let lines = Lines()
        let settings = LiveLogSettings(level: .info, secrets: [Secret("tok-OLD-0123456789")])
        let log = Logger(label: "test") { JournalLogHandler(label: $0, settings: settings, write: { lines.append($0) }) }
        log.debug("hidden")
        log.info("new token tok-NEW-0123456789")
        settings.update(level: .debug, secrets: [Secret("tok-NEW-0123456789")])
        log.debug("shown")
        log.info("new token tok-NEW-0123456789")
        #expect(lines.all == ["<6>new token tok-NEW-0123456789\n", "<7>shown\n", "<6>new token [redacted]\n"])
    }

    @Test func aLevelSetOnOneLoggerOutranksTheSettings() {
        let lines = Lines()
        let settings = LiveLogSettings(level: .error, secrets: [])
        var log = Logger(label: "test") { JournalLogHandler(label: $0, settings: settings, write: { lines.append($0) }) }
        log.logLevel = .debug
        log.debug("shown")
        #expect(lines.all == ["<7>shown\n"])
    }

    @Test func multiLineMessagesStayOneJournalLine() {
        let lines = Lines()
        logger(lines).warning("one\ntwo")
        #expect(lines.all == ["<4>one\\ntwo\n"])
    }
}
