import ArgumentParser
import BotStatsProtocol

/// `botstatsctl reload`: reload the configuration and print the result.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reload", abstract: "Reload the configuration.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.call(.reload, defaultTimeout: .seconds(30))
        if global.json {
            global.printJSON(result)
            return
        }
        guard let reload = decode(ReloadResult.self, from: result) else {
            fail(1, "botstatsctl: the daemon sent an answer this version cannot read")
        }
        print("reloaded \(reload.configPath): \(reload.bots) bot(s), \(reload.targets) target(s)")
    }
}
