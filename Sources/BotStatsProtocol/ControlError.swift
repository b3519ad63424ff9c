/// An error the daemon answers a request with: a wire code and a message for people.
///
/// Callers compare `code` against the static members of `Code` (`error.code == .noCounts`); the
/// set can grow without breaking anyone, and a code from a newer daemon is kept as received.
package struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A machine-readable wire code of the control protocol.
    package struct Code: WireWord {
        /// The code on the wire, e.g. `bad_request`.
        package let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// A code as received from a daemon, known to this build or not.
        package init(wire: String) {
            self.rawValue = wire
        }

        /// The request is malformed: not JSON, a wrong type, a count out of range, an unknown field.
        package static let badRequest = Code("bad_request")
        /// `cmd` names no command this daemon knows.
        package static let unknownCommand = Code("unknown_command")
        /// `v` names a protocol version this daemon does not speak.
        package static let unsupportedVersion = Code("unsupported_version")
        /// No bot of that name, or a name is needed because several are configured.
        package static let unknownBot = Code("unknown_bot")
        /// The bot has no target of that name.
        package static let unknownTarget = Code("unknown_target")
        /// `post` before any `set`: there is nothing to post.
        package static let noCounts = Code("no_counts")
        /// The counts could not be saved; the previous ones stay in force.
        package static let stateWriteFailed = Code("state_write_failed")
        /// The new configuration was rejected; the old one keeps running.
        package static let reloadFailed = Code("reload_failed")
        /// The peer may not run this command (only root, the daemon's user and the socket's group).
        package static let forbidden = Code("forbidden")
        /// The daemon is stopping.
        package static let shuttingDown = Code("shutting_down")
        /// Something went wrong that the request did not cause.
        package static let `internal` = Code("internal")
        /// The network intake: no or an unknown token.
        package static let unauthorized = Code("unauthorized")
        /// The network intake: more requests than the client may make per minute.
        package static let rateLimited = Code("rate_limited")
        /// The network intake: no such resource.
        package static let notFound = Code("not_found")

        /// Every code this build knows, for documentation and tests.
        package static let all: [Code] = [
            .badRequest, .unknownCommand, .unsupportedVersion, .unknownBot, .unknownTarget, .noCounts,
            .stateWriteFailed, .reloadFailed, .forbidden, .shuttingDown, .internal, .unauthorized, .rateLimited,
            .notFound,
        ]
    }

    package let code: Code
    /// What a person reads; never contains a token.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }

    package static func badRequest(_ message: String) -> ControlError { .init(.badRequest, message) }

    package static func unknownBot(_ name: String, known: [String]) -> ControlError {
        .init(.unknownBot, "no bot named '\(name)'; configured: \(known.joined(separator: ", "))")
    }

    package static func shuttingDown() -> ControlError { .init(.shuttingDown, "the daemon is stopping") }
}
