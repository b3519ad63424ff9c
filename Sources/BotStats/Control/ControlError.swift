/// An error the daemon answers a control request with; `code` is the wire code of SPEC §7.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Machine-readable code: `bad_request`, `unknown_command`, `unknown_bot`, `unknown_target`,
    /// `no_counts`, `state_write_failed`, `reload_failed`, `forbidden`, `shutting_down`, `internal`.
    public let code: String
    /// What a person reads; never contains a token.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func badRequest(_ message: String) -> ControlError { .init(code: "bad_request", message: message) }
    public static func unknownBot(_ name: String, known: [String]) -> ControlError {
        .init(code: "unknown_bot", message: "no bot named '\(name)'; configured: \(known.joined(separator: ", "))")
    }
}
