/// One thing wrong with the configuration: which file, which line when known, which key.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// Full key path, e.g. `targets.topgg.token_file`; empty for whole-file problems.
    public var keyPath: String
    public var message: String

    public init(file: String, line: Int? = nil, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
    }

    /// `/etc/botstatsd/botstatsd.toml:12: targets.topgg.token_file: no such file`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}

/// Every error found in a configuration; loading reports them all at once, not one per try.
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigurationError]

    public init(errors: [ConfigurationError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A configuration that loaded, and what is worth a warning about it.
public struct LoadedConfiguration: Sendable {
    public var configuration: Configuration
    /// E.g. an inline token in a file others can read; logged at start and by `--check-config`.
    public var warnings: [String]

    public init(configuration: Configuration, warnings: [String]) {
        self.configuration = configuration
        self.warnings = warnings
    }
}
