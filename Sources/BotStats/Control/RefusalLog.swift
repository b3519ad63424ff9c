import Logging
import Synchronization
import BotStatsProtocol

/// Logs refusals (connections, intake requests) at most once per `interval`, with how many went
/// unlogged, so a flood of clients cannot flood the journal too.
final class RefusalLog: Sendable {
    private let logger: Logger
    private let message: String
    private let interval: Duration
    private let state = Mutex<(lastLogged: ContinuousClock.Instant?, unlogged: Int)>((nil, 0))

    init(logger: Logger, message: String, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.message = message
        self.interval = interval
    }

    func record(now: ContinuousClock.Instant, metadata extra: Logger.Metadata = [:]) {
        let unlogged = state.withLock { state -> Int? in
            if let last = state.lastLogged, last.duration(to: now) < interval {
                state.unlogged += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.unlogged
        }
        guard let unlogged else { return }
        var metadata = extra
        if unlogged > 0 { metadata["refused.unlogged"] = "\(unlogged)" }
        logger.warning("\(message)", metadata: metadata)
    }
}
