import ArgumentParser
import BotStatsProtocol

/// `botstatsctl post`: post the cached counts now and print each target's outcome.
struct PostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post", abstract: "Post the cached counts now (rate limits still apply) and wait for the outcome.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this target.") var target: String?
    @Option(help: "Which bot, when several are configured.") var bot: String?

    func run() throws {
        let result = try global.call(.post(bot: bot, target: target), defaultTimeout: .seconds(120))
        if global.json {
            global.printJSON(result)
            return
        }
        guard let outcome = decode(PostResults.self, from: result) else {
            fail(1, "botstatsctl: the daemon sent an answer this version cannot read")
        }
        for item in outcome.results {
            if item.outcome == .dryRun {
                print("\(item.bot)/\(item.target): not sent (dry run; the request was logged)")
                continue
            }
            var line = "\(item.bot)/\(item.target): \(item.outcome) (\(item.state.rawValue)"
            if let status = item.httpStatus { line += ", HTTP \(status)" }
            line += ")"
            if let next = item.nextAttemptAt { line += " next attempt \(RFC3339.format(next))" }
            if let error = item.error, item.outcome != .delivered { line += ": \(error)" }
            print(TerminalText.removingControls(line))
        }
        if outcome.results.contains(where: { $0.outcome == .failed }) { throw CtlExit(code: 1) }
    }
}
