import ArgumentParser
import BotStatsProtocol
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// `botstatsctl check`: a Nagios/Icinga plugin. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
/// (the daemon is not running, which a monitoring system should see as unknown, not as fine).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Monitoring-plugin check: exit 0 OK, 1 warning, 2 critical, 3 unknown.",
        discussion: """
            Prints one line, BOTSTATSD OK|WARNING|CRITICAL|UNKNOWN - …, and exits 0 OK (every list posted \
            within twice its repost interval), 1 WARNING (a list retrying, rate limited or waiting for its first \
            post; a dry run), 2 CRITICAL (a list unauthorized, rejected, circuit-open, or not posted for twice the \
            repost interval), 3 UNKNOWN (the daemon is not running or did not answer).
            """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result: JSONValue
        do {
            result = try global.answer(.status(bot: nil))
        } catch let unanswered as GlobalOptions.Unanswered {
            // A monitoring system shows the plugin's stdout: say why on it, as UNKNOWN.
            let reason = unanswered.message.hasPrefix("botstatsctl: ") ? String(unanswered.message.dropFirst(13)) : unanswered.message
            report(code: 3, line: "BOTSTATSD UNKNOWN - " + reason)
        }
        guard let status = decode(StatusReport.self, from: result) else {
            report(code: 3, line: "BOTSTATSD UNKNOWN - the daemon sent a status this version cannot read")
        }
        let verdict = HealthCheck.verdict(status, now: Date())
        report(code: verdict.code, line: TerminalText.removingControls(verdict.line))
    }

    private func report(code: Int32, line: String) -> Never {
        if global.json {
            global.printJSON(.object(["code": .number(Double(code)), "summary": .string(line)]))
        } else {
            print(line)
        }
        Glibc.exit(code)
    }
}
