import BotStatsProtocol

/// The parts of the process environment that configuration defaults depend on.
///
/// The entry point builds it once from the real environment; nothing deeper reads `environ`.
public struct ConfigurationEnvironment: Sendable, Equatable {
    /// `$CREDENTIALS_DIRECTORY`: where systemd puts `LoadCredential=` files.
    public var credentialsDirectory: String?
    /// `$RUNTIME_DIRECTORY` (the first of several): the default home of the control socket.
    public var runtimeDirectory: String?
    /// `$STATE_DIRECTORY` (the first of several): the default state directory.
    public var stateDirectory: String?

    public init(credentialsDirectory: String? = nil, runtimeDirectory: String? = nil, stateDirectory: String? = nil) {
        self.credentialsDirectory = credentialsDirectory
        self.runtimeDirectory = runtimeDirectory
        self.stateDirectory = stateDirectory
    }

    /// Reads the three variables from `environment`; systemd separates several directories with `:`.
    public static func fromProcess(_ environment: [String: String]) -> ConfigurationEnvironment {
        func first(_ key: String) -> String? {
            environment[key].flatMap { $0.split(separator: ":").first.map(String.init) }
        }
        return ConfigurationEnvironment(
            credentialsDirectory: environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 },
            runtimeDirectory: first("RUNTIME_DIRECTORY"), stateDirectory: first("STATE_DIRECTORY"))
    }
}
