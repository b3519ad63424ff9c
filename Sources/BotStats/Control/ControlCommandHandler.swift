import Synchronization
import BotStatsProtocol

/// Turns one request line into one response line; the NIO-free heart of the control socket.
///
/// Every outcome is a response: nothing a client sends can throw out of here.
package struct ControlCommandHandler: Sendable {
    private let backend: any ControlBackend
    private let lastStatus = LastStatusLine()

    package init(backend: any ControlBackend) {
        self.backend = backend
    }

    /// The response line (without newline) for `line`.
    ///
    /// - Parameter mayChange: whether the peer may run `set`, `post` and `reload`
    ///   (see `ControlAccessPolicy`); `status` and `metrics` are open to anyone who can connect.
    package func respond(to line: some Collection<UInt8>, mayChange: Bool = true) async -> String {
        do {
            let request = try ControlRequest.parse(line)
            if request.isMutating, !mayChange {
                throw ControlError(.forbidden, "only root, the daemon's user and members of the control socket's group may \(request.name)")
            }
            // Commands that change things write the state file and wait for `fsync`; they run on
            // Swift's global executor so they never stall the event loop's other connections.
            if request.isMutating {
                return try await withTaskExecutorPreference(globalConcurrentExecutor) { () async throws(ControlError) in
                    try await answer(request)
                }
            }
            return try await answer(request)
        } catch let error as ControlError {
            return ControlResponse.failure(error)
        } catch {
            return ControlResponse.failure(ControlError(.`internal`, "unexpected error"))
        }
    }

    private func answer(_ request: ControlRequest) async throws(ControlError) -> String {
        switch request {
        case .status(let bot):
            return lastStatus.line(for: try await backend.status(bot: bot))
        case .set(let bot, let update):
            return ControlResponse.success(try await backend.set(bot: bot, update: update))
        case .post(let bot, let target):
            return ControlResponse.success(PostResults(results: try await backend.post(bot: bot, target: target)))
        case .reload:
            return ControlResponse.success(try await backend.reload())
        case .metrics:
            return ControlResponse.success(MetricsResult(text: await backend.metrics()))
        }
    }
}

/// The last `status` answer and the report it was written from.
///
/// Pollers ask again and again within the same second, when the report is equal to the last
/// one down to the second; then the line written last time is the answer, and writing it again
/// is skipped. Equality, not age, decides, so a cached answer is never stale.
final class LastStatusLine: Sendable {
    private let last = Mutex<(report: StatusReport, line: String)?>(nil)

    func line(for report: StatusReport) -> String {
        if let cached = last.withLock({ $0 }), cached.report == report { return cached.line }
        let line = ControlResponse.success(report)
        last.withLock { $0 = (report, line) }
        return line
    }
}
