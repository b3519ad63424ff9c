import BotStatsProtocol

/// Why a token cannot be used, worded for the end of `file:line: key: …`; it never quotes the token.
struct TokenProblem: Error, Equatable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
