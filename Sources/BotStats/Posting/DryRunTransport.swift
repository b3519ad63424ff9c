import Logging
import BotStatsProtocol

/// `--dry-run`: logs the request that would have been sent (token redacted) and answers 200,
/// which the engine, knowing it is a dry run, records as not sent.
package struct DryRunTransport: StatsTransport {
    private let logger: Logger
    private let settings: LiveLogSettings

    /// `settings` hold every token of the running configuration (reloads included), so none
    /// reaches the log.
    package init(logger: Logger, settings: LiveLogSettings) {
        self.logger = logger
        self.settings = settings
    }

    package func send(_ request: OutgoingRequest, timeout: Duration) async -> Result<TransportResponse, PostFailure> {
        let headers = request.headers.map { "\($0.name): \($0.value)" }.joined(separator: "; ")
        let redactor = settings.redactor
        logger.notice(
            "dry run: request not sent",
            metadata: [
                "http.method": "\(request.method)",
                "http.url": "\(redactor.redact(request.url))",
                "http.headers": "\(redactor.redact(headers))",
                "http.body": "\(redactor.redact(request.body ?? ""))",
            ])
        return .success(TransportResponse(status: 200, headers: [], body: []))
    }
}
