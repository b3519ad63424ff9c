import BotStatsProtocol

/// The network intake: where it listens and who may report (`[daemon] intake_listen`,
/// `[intake]`, `[intake.clients.NAME]`). Off unless `intake_listen` is set.
package struct IntakeSettings: Sendable, Equatable {
    /// `host:port` to serve HTTP on.
    package var listen: String
    /// Serve plain HTTP on an address that is neither loopback nor private.
    package var allowPlaintext: Bool
    /// Requests one client may make per minute; more are answered 429 with `Retry-After`.
    package var requestsPerMinute: Int
    /// Who may report, each with a token of its own.
    package var clients: [IntakeClient]

    package init(listen: String, allowPlaintext: Bool = false, requestsPerMinute: Int = 600, clients: [IntakeClient]) {
        self.listen = listen
        self.allowPlaintext = allowPlaintext
        self.requestsPerMinute = requestsPerMinute
        self.clients = clients
    }
}

/// One client of the network intake: `[intake.clients.NAME]`.
package struct IntakeClient: Sendable, Equatable {
    /// The table name, for logs (never the token).
    package var name: String
    /// What it authenticates with: `Authorization: Bearer <token>`.
    package var token: Secret
    /// The bots it may report for and read; `*` is every bot.
    package var bots: [String]

    package init(name: String, token: Secret, bots: [String]) {
        self.name = name
        self.token = token
        self.bots = bots
    }

    /// Whether this client may report for and read bot `name`.
    package func mayUse(bot name: String) -> Bool {
        bots.contains("*") || bots.contains(name)
    }
}
