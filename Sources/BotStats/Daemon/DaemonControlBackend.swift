/// Connects the control socket to the engine and to configuration reloads.
public struct DaemonControlBackend: ControlBackend {
    let engine: PostingEngine<ContinuousClock>
    let reloader: @Sendable () async throws(ControlError) -> ReloadResult

    public init(engine: PostingEngine<ContinuousClock>, reloader: @escaping @Sendable () async throws(ControlError) -> ReloadResult) {
        self.engine = engine
        self.reloader = reloader
    }

    public func status() async -> StatusReport { await engine.status() }

    public func set(bot: String?, servers: Int, users: Int?, shards: Int?) async throws(ControlError) -> SetResult {
        try await engine.set(bot: bot, servers: servers, users: users, shards: shards)
    }

    public func post(bot: String?, target: String?) async throws(ControlError) -> [PostResult] {
        try await engine.post(bot: bot, target: target)
    }

    public func reload() async throws(ControlError) -> ReloadResult {
        try await reloader()
    }

    public func metrics() async -> String {
        MetricsExposition.render(await engine.status())
    }
}
