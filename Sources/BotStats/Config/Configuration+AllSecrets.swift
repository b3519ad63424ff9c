import BotStatsProtocol

extension Configuration {
    /// Every token in the configuration, for redaction: the lists', Discord's and the intake
    /// clients'.
    package var allSecrets: [Secret] {
        bots.flatMap { bot -> [Secret] in
            var secrets = bot.targets.map(\.token)
            if case .discord(let token, _) = bot.source { secrets.append(token) }
            return secrets
        } + (daemon.intake?.clients.map(\.token) ?? [])
    }
}
