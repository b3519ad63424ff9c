extension StringProtocol {
    /// The text without spaces and tabs at either end (what Foundation's
    /// `trimmingCharacters(in: .whitespaces)` does, without Foundation).
    package func trimmingSpaces() -> String {
        trimming { $0 == " " || $0 == "\t" }
    }

    /// The text without whitespace or line breaks at either end.
    package func trimmingWhitespace() -> String {
        trimming(\.isWhitespace)
    }

    /// The text without characters matching `drop` at either end.
    package func trimming(_ drop: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !drop($0) }), let last = lastIndex(where: { !drop($0) }) else { return "" }
        return String(self[first...last])
    }

    /// The text without slashes at its end: a base URL or path that a path is appended to.
    package func trimmingTrailingSlashes() -> String {
        var text = String(self)
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
