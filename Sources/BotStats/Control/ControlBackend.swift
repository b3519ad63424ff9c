import BotStatsProtocol

/// What the control socket can ask of the daemon; the engine implements it, tests may fake it.
package protocol ControlBackend: Sendable {
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
