import BotStatsProtocol

/// The built-in bot lists: SPEC §4 as data.
///
/// `S` servers, `U` users, `H` shards. Each row is the whole contract with one list.
package enum ProviderTable {
    private typealias F = ProviderSpec.BodyField

    /// Every built-in provider, in the order of SPEC §4.
    package static let all: [ProviderSpec] = [
        ProviderSpec(
            name: "topgg", defaultBaseURL: "https://top.gg/api", method: "PATCH",
            path: "/v1/projects/@me/metrics", authorization: "Bearer {token}",
            body: [F("server_count", .servers), F("shard_count", .shards)]),
        ProviderSpec(
            name: "topgg-legacy", defaultBaseURL: "https://top.gg/api", method: "POST",
            path: "/bots/stats", authorization: "{token}",
            body: [F("server_count", .servers), F("shard_count", .shards)]),
        // Infinity Bot List, renamed Omniplex in January 2026; `infinitybots` still works (see `renamed`).
        ProviderSpec(
            name: "omniplex", defaultBaseURL: "https://spider.omniplex.gg", method: "POST",
            path: "/bots/stats", authorization: "{token}",
            body: [F("servers", .servers), F("shards", .shards), F("users", .users)]),
        ProviderSpec(
            name: "discordbotlist", defaultBaseURL: "https://discordbotlist.com/api/v1", method: "POST",
            path: "/bots/{bot_id}/stats", authorization: "{token}",
            body: [F("guilds", .servers), F("users", .users)]),
        ProviderSpec(
            name: "discordbotsgg", defaultBaseURL: "https://discord.bots.gg/api/v1", method: "POST",
            path: "/bots/{bot_id}/stats", authorization: "{token}",
            body: [F("guildCount", .servers), F("shardCount", .shards)]),
        ProviderSpec(
            name: "discords", defaultBaseURL: "https://discords.com/bots/api", method: "POST",
            path: "/bot/{bot_id}/setservers", authorization: "{token}",
            body: [F("server_count", .servers)]),
        ProviderSpec(
            name: "botlistme", defaultBaseURL: "https://api.botlist.me/api/v1", method: "POST",
            path: "/bots/{bot_id}/stats", authorization: "{token}",
            body: [F("server_count", .servers), F("shard_count", .shards)]),
        ProviderSpec(
            name: "discordlist", defaultBaseURL: "https://api.discordlist.gg/v0", method: "PUT",
            path: "/bots/{bot_id}/guilds?count={servers}", authorization: "Bearer {token}",
            body: []),
        ProviderSpec(
            name: "voidbots", defaultBaseURL: "https://api.voidbots.net", method: "POST",
            path: "/bot/stats/{bot_id}", authorization: "{token}",
            body: [F("server_count", .servers), F("shard_count", .shards)]),
        ProviderSpec(
            name: "discordextremelist", defaultBaseURL: "https://api.discordextremelist.xyz/v2", method: "POST",
            path: "/bot/{bot_id}/stats", authorization: "{token}",
            body: [F("guildCount", .servers), F("shardCount", .shards)]),
        ProviderSpec(
            name: "disforge", defaultBaseURL: "https://disforge.com/api", method: "POST",
            path: "/botstats/{bot_id}", authorization: "{token}",
            body: [F("servers", .servers)]),
        ProviderSpec(
            name: "botsondiscord", defaultBaseURL: "https://bots.ondiscord.xyz/bot-api", method: "POST",
            path: "/bots/{bot_id}/guilds", authorization: "{token}",
            body: [F("guildCount", .servers)]),
    ]

    /// Old provider names that still work, keyed by the old name: a list that renames itself must
    /// not break configurations written before. The configuration loader logs each rename's
    /// notice (once) when a target uses the old name.
    package static let renamed: [String: ProviderRename] = [
        "infinitybots": ProviderRename(
            newName: "omniplex",
            notice: "provider \"infinitybots\" is now \"omniplex\" (Infinity Bot List was renamed Omniplex in "
                + "January 2026 and its API moved to https://spider.omniplex.gg); it keeps working, "
                + "but write provider = \"omniplex\"")
    ]

    /// The built-in provider called `name`, or nil; an old name from ``renamed`` gives the provider
    /// it now means, so a target's `provider` (and status) shows the current name.
    package static func provider(named name: String) -> ProviderSpec? {
        all.first { $0.name == name } ?? renamed[name].flatMap { rename in all.first { $0.name == rename.newName } }
    }

    /// The names to suggest for `provider = "…"`, `custom` included. Old names from ``renamed`` are
    /// accepted too but not suggested.
    package static var acceptedNames: [String] { all.map(\.name) + ["custom"] }
}
