/// What the control socket can ask of the daemon; the engine implements it, tests may fake it.
public protocol ControlBackend: Sendable {
    /// The status object, of one bot when `bot` is given.
    func status(bot: String?) async throws(ControlError) -> StatusReport
    /// Accept new counts (persisted before returning).
    func set(bot: String?, update: CountsUpdate) async throws(ControlError) -> SetResult
    /// Post now and wait for each target's outcome.
    func post(bot: String?, target: String?) async throws(ControlError) -> [PostResult]
    /// Reload the configuration; returns the result or why it was rejected.
    func reload() async throws(ControlError) -> ReloadResult
    /// The Prometheus text exposition.
    func metrics() async -> String
}

/// The result object of `metrics`: the exposition text.
public struct MetricsResult: Codable, Sendable, Equatable {
    public var text: String

    public init(text: String) {
        self.text = text
    }
}

/// The answer to a successful `reload`.
public struct ReloadResult: Codable, Sendable, Equatable {
    public var configPath: String
    public var bots: Int
    public var targets: Int

    public init(configPath: String, bots: Int, targets: Int) {
        self.configPath = configPath
        self.bots = bots
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case bots, targets
        case configPath = "config_path"
    }
}
