import BotStatsProtocol

/// Turns what a token file or key holds into a token that is safe to put in an HTTP header, or
/// says what is wrong with it without ever quoting it.
///
/// A token is one word of printable ASCII. Everything else is refused at load time rather than
/// sent: a second line (a comment, or Windows line endings: `"\r\n"` is one `Character`, so the
/// check works on Unicode scalars), control characters, spaces, and non-ASCII characters such as
/// a byte order mark in the middle or a typographic quote from a formatted document. An HTTP client
/// refuses such a header, and its error text would carry the token where redaction cannot find it.
enum TokenText {
    /// The token in the bytes of a token file: a leading UTF-8 byte order mark and surrounding
    /// whitespace (a final newline) are dropped; anything else must be the token alone.
    static func fromFile(_ bytes: [UInt8]) -> Result<String, TokenProblem> {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return .failure(TokenProblem("the file is UTF-16 text; save the token as plain ASCII text"))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(TokenProblem("the file is not text (not valid UTF-8); it must hold the token alone"))
        }
        return validated(text, emptyMessage: "the file is empty")
    }

    /// An inline token (`token = "…"`), with surrounding whitespace dropped.
    static func fromInline(_ text: String) -> Result<String, TokenProblem> {
        validated(text, emptyMessage: "the token is empty")
    }

    private static func validated(_ text: String, emptyMessage: String) -> Result<String, TokenProblem> {
        let scalars = text.unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return .failure(TokenProblem(emptyMessage))
        }
        let token = scalars[first...last]
        for (offset, scalar) in token.enumerated() {
            if let problem = problem(with: scalar, at: offset + 1) { return .failure(problem) }
        }
        return .success(String(token))
    }

    /// What is wrong with `scalar` as the `position`th character of a token, or nil.
    private static func problem(with scalar: Unicode.Scalar, at position: Int) -> TokenProblem? {
        switch scalar.value {
        case 0x21...0x7E:
            return nil
        case 0x0A, 0x0D:
            return TokenProblem(
                "the token spans several lines; it must stand alone on one line (no comment, no second line; "
                    + "Windows line endings count as a second line)")
        case 0x00:
            return TokenProblem("the token holds a NUL character (character \(position))")
        case 0x20, 0x09:
            return TokenProblem(
                "the token holds a space or tab (character \(position)); give the token alone, without 'Bearer' or 'Bot'")
        case 0x01...0x1F, 0x7F...0x9F:
            return TokenProblem("the token holds a control character (character \(position))")
        case 0xFEFF:
            return TokenProblem("the token holds a byte order mark (character \(position)); save the file as plain ASCII text")
        default:
            return TokenProblem(
                "the token holds a non-ASCII character (character \(position)); tokens are plain ASCII "
                    + "(was it copied from a formatted document?)")
        }
    }
}
