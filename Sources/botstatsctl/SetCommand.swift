import ArgumentParser
import BotStatsProtocol

/// `botstatsctl set`: hand the daemon new counts.
struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Give the daemon new counts; it saves them and posts them promptly.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Servers (guilds) the bot is in.") var servers: Int
    @Option(help: "Users the bot can see.") var users: Int?
    @Option(help: "Shard count.") var shards: Int?
    @Option(name: .customLong("shard-id"), help: "This process's shard id (per-shard reporting).") var shardID: Int?
    @Option(name: .customLong("shard-count"), help: "Total shards, with --shard-id.") var shardCount: Int?
    @Option(help: "Which bot, when several are configured.") var bot: String?
    @Flag(help: "Post even a large drop or zero servers, which the drop guard would hold back.") var force = false

    func validate() throws {
        for (name, value) in [("--servers", servers), ("--users", users), ("--shards", shards), ("--shard-id", shardID), ("--shard-count", shardCount)] {
            if let value, value < 0 { throw ValidationError("\(name) must not be negative") }
            if let value, value > ControlRequest.maxCount { throw ValidationError("\(name) is above the limit of 10^12") }
        }
        if (shardID == nil) != (shardCount == nil) {
            throw ValidationError("--shard-id and --shard-count go together")
        }
    }

    func run() throws {
        let update = CountsUpdate(
            servers: servers, users: users, shards: shards, shardID: shardID, shardCount: shardCount, force: force)
        let result = try global.call(.set(bot: bot, update: update))
        if global.json {
            global.printJSON(result)
            return
        }
        guard let accepted = decode(SetResult.self, from: result) else {
            fail(1, "botstatsctl: the daemon sent an answer this version cannot read")
        }
        var counts = ""
        if let given = accepted.counts {
            counts = "\(given.servers) servers"
            if let users = given.users { counts += ", \(users) users" }
            if let shards = given.shards { counts += ", \(shards) shards" }
        }
        switch accepted.outcome {
        case .accepted:
            let targets = accepted.targets.isEmpty ? "no enabled lists" : accepted.targets.joined(separator: ", ")
            if let note = accepted.message {
                print("\(accepted.bot): counts accepted (\(counts)); \(note)")
            } else {
                print("\(accepted.bot): counts saved (\(counts)); posting to \(targets)")
            }
        case .held:
            print("\(accepted.bot): counts held back (\(counts)): \(accepted.message ?? "")")
        default:
            print("\(accepted.bot): shard report saved; \(accepted.message ?? "")")
        }
    }
}
