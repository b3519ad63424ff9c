import ArgumentParser
import BotStats
import Foundation

/// `botstatsctl status`: the daemon, each bot and each target at a glance.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the daemon's status.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this bot.") var bot: String?

    func run() throws {
        var request: [String: JSONValue] = ["cmd": .string("status")]
        if let bot { request["bot"] = .string(bot) }
        let result = try global.call(request)
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

/// Decodes a result object into a protocol type.
func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) -> T? {
    guard let data = try? JSONEncoder().encode(value) else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .rfc3339
    return try? decoder.decode(type, from: data)
}
