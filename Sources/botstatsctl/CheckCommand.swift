import ArgumentParser
import BotStats
import Foundation

/// `botstatsctl check`: a Nagios/Icinga plugin. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
/// (the daemon is not running, which a monitoring system should see as unknown, not as fine).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Monitoring-plugin check: exit 0 OK, 1 warning, 2 critical.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.call(["cmd": .string("status")])
        guard let report = decode(StatusReport.self, from: result) else {
            fail(3, "BOTSTATSD UNKNOWN - the daemon sent a status this version cannot read")
        }
        let verdict = HealthCheck.verdict(report, now: Date())
        if global.json {
            global.printJSON(.object(["code": .number(Double(verdict.code)), "summary": .string(verdict.line)]))
        } else {
            print(verdict.line)
        }
        throw CtlExit(code: verdict.code)
    }
}
