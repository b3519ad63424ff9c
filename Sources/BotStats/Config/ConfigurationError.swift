import BotStatsProtocol

/// One thing wrong with the configuration: which file, which line (and column) when known, which key.
package struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    package var file: String
    package var line: Int?
    /// The column of a syntax error, counted in characters from 1; nil for every other error.
    package var column: Int?
    /// Full key path, e.g. `targets.topgg.token_file`; empty for whole-file problems.
    package var keyPath: String
    package var message: String

    package init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `/etc/botstatsd/botstatsd.toml:12: targets.topgg.token_file: no such file`.
    ///
    /// Control characters (from a file name or a quoted key) are written as `\u{…}` escapes: the
    /// text goes to a terminal, the journal and `STATUS=`, where a line break would start a new
    /// field.
    package var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if line != nil, let column { text += ":\(column)" }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return Self.escapingControls(text + message)
    }

    private static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}

/// Every error found in a configuration; loading reports them all at once, not one per try.
package struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    package var errors: [ConfigurationError]

    package init(errors: [ConfigurationError]) {
        self.errors = errors
    }

    /// One error per line.
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A configuration that loaded, and what is worth a warning about it.
package struct LoadedConfiguration: Sendable {
    package var configuration: Configuration
    /// E.g. an inline token in a file others can read; logged at start and by `--check-config`.
    package var warnings: [String]
    /// E.g. a provider's old name; logged at notice level.
    package var notices: [String]

    package init(configuration: Configuration, warnings: [String], notices: [String] = []) {
        self.configuration = configuration
        self.warnings = warnings
        self.notices = notices
    }
}
