import BotStatsProtocol

/// Collects every error, warning and notice while the configuration is read, with lines where
/// known.
final class ConfigurationIssues {
    private(set) var errors: [ConfigurationError] = []
    private(set) var warnings: [String] = []
    /// Worth knowing, nothing to fix now (a provider's old name still works).
    private(set) var notices: [String] = []

    func error(file: String, line: Int?, column: Int? = nil, keyPath: String, _ message: String) {
        errors.append(ConfigurationError(file: file, line: line, column: column, keyPath: keyPath, message: message))
    }

    func append(_ error: ConfigurationError) {
        errors.append(error)
    }

    /// The errors by file, in the order the files were read, then by line; errors without a
    /// line (whole-file problems, clashes between files) come last within their file.
    var sortedErrors: [ConfigurationError] {
        var fileOrder: [String: Int] = [:]
        for error in errors where fileOrder[error.file] == nil { fileOrder[error.file] = fileOrder.count }
        return errors.enumerated().sorted { left, right in
            let (a, b) = (left.element, right.element)
            if a.file != b.file { return fileOrder[a.file]! < fileOrder[b.file]! }
            if a.line != b.line { return (a.line ?? Int.max) < (b.line ?? Int.max) }
            return left.offset < right.offset
        }.map(\.element)
    }

    /// A warning worded like an error: `file:line: key.path: message`.
    func warning(file: String, line: Int?, keyPath: String, _ message: String) {
        warnings.append(ConfigurationError(file: file, line: line, keyPath: keyPath, message: message).description)
    }

    func warning(_ message: String) {
        warnings.append(message)
    }

    /// A notice worded like an error, once per distinct text.
    func notice(file: String, line: Int?, keyPath: String, _ message: String) {
        let text = ConfigurationError(file: file, line: line, keyPath: keyPath, message: message).description
        if !notices.contains(text) { notices.append(text) }
    }
}
