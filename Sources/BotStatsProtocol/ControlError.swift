/// An error the daemon answers a request with: a wire code and a message for people.
///
/// Callers compare `code` against the static members of `Code` (`error.code == .noCounts`); the
/// set can grow without breaking anyone, and a code from a newer daemon is kept as received.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A machine-readable wire code of the control protocol.
    public struct Code: WireWord {
        /// The code on the wire, e.g. `bad_request`.
        public let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// A code as received from a daemon, known to this build or not.
        public init(wire: String) {
            self.rawValue = wire
        }

        /// The request is malformed: not JSON, a wrong type, a count out of range, an unknown field.
        public static let badRequest = Code("bad_request")
        /// `cmd` names no command this daemon knows.
        public static let unknownCommand = Code("unknown_command")
        /// `v` names a protocol version this daemon does not speak.
        public static let unsupportedVersion = Code("unsupported_version")
        /// No bot of that name, or a name is needed because several are configured.
        public static let unknownBot = Code("unknown_bot")
        /// The bot has no target of that name.
        public static let unknownTarget = Code("unknown_target")
        /// `post` before any `set`: there is nothing to post.
        public static let noCounts = Code("no_counts")
        /// The counts could not be saved; the previous ones stay in force.
        public static let stateWriteFailed = Code("state_write_failed")
        /// The new configuration was rejected; the old one keeps running.
        public static let reloadFailed = Code("reload_failed")
        /// The peer may not run this command (only root, the daemon's user and the socket's group).
        public static let forbidden = Code("forbidden")
        /// The daemon is stopping.
        public static let shuttingDown = Code("shutting_down")
        /// Something went wrong that the request did not cause.
        public static let `internal` = Code("internal")
        /// The network intake: no or an unknown token.
        public static let unauthorized = Code("unauthorized")
        /// The network intake: more requests than the client may make per minute.
        public static let rateLimited = Code("rate_limited")
        /// The network intake: no such resource.
        public static let notFound = Code("not_found")

        /// Every code this build knows, for documentation and tests.
        public static let all: [Code] = [
            .badRequest, .unknownCommand, .unsupportedVersion, .unknownBot, .unknownTarget, .noCounts,
            .stateWriteFailed, .reloadFailed, .forbidden, .shuttingDown, .internal, .unauthorized, .rateLimited,
            .notFound,
        ]
    }

    public let code: Code
    /// What a person reads; never contains a token.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func badRequest(_ message: String) -> ControlError { .init(.badRequest, message) }

    public static func unknownBot(_ name: String, known: [String]) -> ControlError {
        .init(.unknownBot, "no bot named '\(name)'; configured: \(known.joined(separator: ", "))")
    }

    public static func shuttingDown() -> ControlError { .init(.shuttingDown, "the daemon is stopping") }
}
