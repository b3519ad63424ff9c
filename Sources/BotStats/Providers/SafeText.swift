import BotStatsProtocol

/// Text from outside the daemon, made safe to store in state and status and to show on a terminal.
///
/// What a bot list sends back (an error body) and what a lower layer says (an HTTP client's error
/// description, which may quote our own request) can hold anything: our token, escaped or cut
/// short; terminal escape sequences that would recolour or rewrite `botstatsctl status`; line
/// breaks that would forge log lines or `STATUS=` fields; megabytes of HTML. `SafeText` turns it
/// into one line of at most `byteLimit` bytes:
///
/// 1. ANSI escape sequences (CSI, OSC, DCS and the rest, in 7-bit and C1 form) are removed, and so
///    are C0 and C1 control characters and bidirectional-override characters; line breaks and tabs
///    become spaces. This comes first, so that nothing hidden between two halves of a token can
///    keep it from being found.
/// 2. Runs of whitespace become one space; the ends are trimmed.
/// 3. Every secret of the redactor is replaced in every form (`Redactor`), including a piece of
///    one cut off at the end or the start of the text.
/// 4. The result is cut at a character boundary to `byteLimit` bytes, `…` included; after
///    redaction, so the cut can never leave part of a token behind.
///
/// ```swift
/// let detail = SafeText(utf8: response.body, redactor: redactor).text
/// ```
package struct SafeText: Sendable, Equatable, CustomStringConvertible {
    /// The byte limit used for a list's error body in status and state.
    package static let defaultByteLimit = 300

    /// The safe text: one line, no control characters, no secrets, at most the byte limit.
    package let text: String

    /// `untrusted` made safe; see the type's documentation for the steps.
    package init(_ untrusted: String, redactor: Redactor, byteLimit: Int = SafeText.defaultByteLimit) {
        self.init(utf8: untrusted.utf8, redactor: redactor, byteLimit: byteLimit)
    }

    /// The UTF-8 bytes `untrusted` (invalid sequences become U+FFFD) made safe.
    package init(utf8 untrusted: some Collection<UInt8>, redactor: Redactor, byteLimit: Int = SafeText.defaultByteLimit) {
        // Only the start can be shown; a bounded input bounds the work. A token cut by this is
        // caught as a piece at the end.
        let inputLimit = max(16384, byteLimit * 16)
        let decoded = String(decoding: untrusted.prefix(inputLimit), as: UTF8.self)
        let visible = Self.collapsingWhitespace(Self.removingControls(decoded))
        let redacted = redactor.redact(visible, partialEdges: true)
        self.text = Self.truncated(redacted, toBytes: byteLimit)
    }

    /// The safe text, so that `SafeText` can be interpolated directly.
    package var description: String { text }

    // MARK: - Steps

    /// `text` without escape sequences and control characters (see `TerminalText`).
    static func removingControls(_ text: String) -> String {
        TerminalText.removingControls(text)
    }

    /// Runs of whitespace as one space, and none at the ends.
    static func collapsingWhitespace(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !output.isEmpty
            } else {
                if pendingSpace { output.append(" ") }
                pendingSpace = false
                output.append(scalar)
            }
        }
        return String(output)
    }

    /// `text` cut to at most `limit` bytes of UTF-8 at a character boundary, ending in `…` when cut.
    static func truncated(_ text: String, toBytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        let ellipsis = "…"
        let budget = limit - ellipsis.utf8.count
        guard budget >= 0 else { return "" }
        var used = 0
        var end = text.startIndex
        for index in text.indices {
            let size = String(text[index]).utf8.count
            if used + size > budget { break }
            used += size
            end = text.index(after: index)
        }
        return String(text[..<end]).trimmingTrailingSpace() + ellipsis
    }
}

extension String {
    fileprivate func trimmingTrailingSpace() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
