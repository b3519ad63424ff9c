import ArgumentParser
import BotStatsProtocol
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// `botstatsctl status`: the daemon, each bot and each target at a glance.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the daemon's status.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this bot.") var bot: String?

    func run() throws {
        let result = try global.call(.status(bot: bot))
        if global.json {
            global.printJSON(result)
            return
        }
        guard let report = decode(StatusReport.self, from: result) else {
            fail(1, "botstatsctl: the daemon sent a status this version cannot read")
        }
        let colour = isatty(1) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        print(StatusText.render(report, now: Date(), colour: colour))
    }
}
