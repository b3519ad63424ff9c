/// Turns one request line into one response line; the NIO-free heart of the control socket.
///
/// Every outcome is a response: nothing a client sends can throw out of here.
public struct ControlCommandHandler: Sendable {
    private let backend: any ControlBackend

    public init(backend: any ControlBackend) {
        self.backend = backend
    }

    /// The response line (without newline) for `line`.
    ///
    /// - Parameter mayChange: whether the peer may run `set`, `post` and `reload`
    ///   (see `ControlAccessPolicy`); `status` and `metrics` are open to anyone who can connect.
    public func respond(to line: some Collection<UInt8>, mayChange: Bool = true) async -> String {
        do {
            let request = try ControlRequest.parse(line)
            if request.isMutating, !mayChange {
                throw ControlError(
                    code: "forbidden",
                    message: "only root, the daemon's user and members of the control socket's group may \(request.name)")
            }
            switch request {
            case .status(let bot):
                return ControlResponse.success(try await backend.status(bot: bot))
            case .set(let bot, let update):
                return ControlResponse.success(try await backend.set(bot: bot, update: update))
            case .post(let bot, let target):
                return ControlResponse.success(PostResults(results: try await backend.post(bot: bot, target: target)))
            case .reload:
                return ControlResponse.success(try await backend.reload())
            case .metrics:
                return ControlResponse.success(MetricsResult(text: await backend.metrics()))
            }
        } catch let error as ControlError {
            return ControlResponse.failure(error)
        } catch {
            return ControlResponse.failure(ControlError(code: "internal", message: "unexpected error"))
        }
    }
}

/// The result object of `post`.
public struct PostResults: Codable, Sendable, Equatable {
    public var results: [PostResult]

    public init(results: [PostResult]) {
        self.results = results
    }
}
