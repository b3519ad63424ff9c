import BotStatsProtocol

extension ConfigurationLoader {
    /// `[daemon] intake_listen` and `intake_allow_plaintext`, `[intake]` and its clients; nil when
    /// the intake is off. Plain HTTP is refused on an address that is neither loopback nor private
    /// unless `intake_allow_plaintext` says so: tokens would cross the internet readable.
    func readIntake(daemon: TableReader, intake: TableReader?, bots: [String], tokens: TokenReader) -> IntakeSettings? {
        guard let listen = daemon.string("intake_listen") else {
            if let intake, intake.has("clients") {
                intake.warning("clients", "intake clients are configured but daemon.intake_listen is not set, so the intake is off")
            }
            _ = daemon.bool("intake_allow_plaintext")
            return nil
        }
        if let problem = Self.listenAddressProblem(listen) {
            daemon.error("intake_listen", problem)
            return nil
        }
        let allowPlaintext = daemon.bool("intake_allow_plaintext") ?? false
        if let (host, _) = HostPort.split(listen), !ListenAddress.isPrivate(host), !allowPlaintext {
            daemon.error(
                "intake_listen",
                "\(host) is neither a loopback nor a private address, and the intake speaks plain HTTP: serve it on 127.0.0.1 behind a TLS reverse proxy, or set intake_allow_plaintext = true"
            )
        }
        guard let intake else {
            daemon.error("intake_listen", "the intake is on but has no clients; add [intake.clients.NAME] with token_file and bots")
            return nil
        }
        intake.rejectUnknownKeys(allowed: ["requests_per_minute", "clients"])
        let perMinute = intake.int("requests_per_minute", range: 1...100_000) ?? 600
        var clients: [IntakeClient] = []
        if let table = intake.table("clients") {
            for name in table.table.keys {
                guard let reader = table.table(name) else { continue }
                reader.rejectUnknownKeys(allowed: ["token_file", "token_credential", "token", "bots"])
                if !Self.isValidName(name) {
                    reader.error("", "client names may only hold letters, digits, '_', '.' and '-'")
                }
                let token = tokens.token(in: reader)
                let scope = reader.stringArray("bots")
                if reader.has("bots"), scope?.isEmpty == true {
                    reader.error("bots", "must name at least one bot (or \"*\" for every bot)")
                } else if !reader.has("bots") {
                    reader.error("bots", "missing: the bots this client may report for, e.g. bots = [\"main\"] or [\"*\"]")
                }
                for bot in scope ?? [] where bot != "*" && !bots.contains(bot) {
                    reader.error("bots", "no bot named '\(bot)'; configured: \(bots.joined(separator: ", "))")
                }
                if let token, let scope, !scope.isEmpty {
                    if let other = clients.first(where: { $0.token == token }) {
                        reader.error("", "has the same token as client '\(other.name)'; each client needs its own")
                    }
                    clients.append(IntakeClient(name: name, token: token, bots: scope))
                }
            }
        }
        if clients.isEmpty, !intake.has("clients") {
            intake.error("clients", "missing: the intake needs at least one [intake.clients.NAME]")
        }
        return IntakeSettings(listen: listen, allowPlaintext: allowPlaintext, requestsPerMinute: perMinute, clients: clients)
    }
}
