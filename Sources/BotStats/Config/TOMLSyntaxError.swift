import BotStatsProtocol

/// Why a TOML document could not be parsed, and where: a plain sentence, never the text of a value.
///
/// The message never quotes what was written at the position: a token pasted where a value
/// belongs must not reach a log through its syntax error.
struct TOMLSyntaxError: Error, Sendable, Equatable {
    var position: TOMLPosition
    var message: String
}
