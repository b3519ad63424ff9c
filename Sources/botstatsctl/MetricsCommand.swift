import ArgumentParser
import BotStatsProtocol

/// `botstatsctl metrics`: the Prometheus text exposition.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Print the daemon's metrics (Prometheus text).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try global.call(.metrics)
        if global.json {
            global.printJSON(result)
            return
        }
        guard case .object(let object) = result, case .string(let text)? = object["text"] else {
            fail(1, "botstatsctl: the daemon sent an answer this version cannot read")
        }
        print(TerminalText.removingControls(text, keepingLineBreaks: true), terminator: text.hasSuffix("\n") ? "" : "\n")
    }
}
