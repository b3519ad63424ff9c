import BotStatsProtocol

/// Connects the control socket to the engine and to configuration reloads.
package struct DaemonControlBackend<C: Clock>: ControlBackend where C.Duration == Duration {
    let engine: PostingEngine<C>
    let reloader: @Sendable () async throws(ControlError) -> ReloadResult

    package init(engine: PostingEngine<C>, reloader: @escaping @Sendable () async throws(ControlError) -> ReloadResult) {
        self.engine = engine
        self.reloader = reloader
    }

    package func status(bot: String?) async throws(ControlError) -> StatusReport {
        var report = await engine.status()
        if let bot {
            report.bots = report.bots.filter { $0.name == bot }
            if report.bots.isEmpty {
                throw .unknownBot(bot, known: await engine.status().bots.map(\.name))
            }
        }
        return report
    }

    package func set(bot: String?, update: CountsUpdate) async throws(ControlError) -> SetResult {
        try await engine.set(bot: bot, update: update)
    }

    package func post(bot: String?, target: String?) async throws(ControlError) -> [PostResult] {
        try await engine.post(bot: bot, target: target)
    }

    package func reload() async throws(ControlError) -> ReloadResult {
        try await reloader()
    }

    package func metrics() async -> String {
        MetricsExposition.render(await engine.status())
    }
}
