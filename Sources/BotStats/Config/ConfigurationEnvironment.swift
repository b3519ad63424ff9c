import BotStatsProtocol

/// The parts of the process environment that configuration defaults depend on.
///
/// The entry point builds it once from the real environment; nothing deeper reads `environ`.
package struct ConfigurationEnvironment: Sendable, Equatable {
    /// `$CREDENTIALS_DIRECTORY`: where systemd puts `LoadCredential=` files.
    package var credentialsDirectory: String?
    /// `$RUNTIME_DIRECTORY` (the first of several): the default home of the control socket.
    package var runtimeDirectory: String?
    /// `$STATE_DIRECTORY` (the first of several): the default state directory.
    package var stateDirectory: String?

    package init(credentialsDirectory: String? = nil, runtimeDirectory: String? = nil, stateDirectory: String? = nil) {
        self.credentialsDirectory = credentialsDirectory
        self.runtimeDirectory = runtimeDirectory
        self.stateDirectory = stateDirectory
    }

    /// Reads the three variables from `environment`; systemd separates several directories with `:`.
    package static func fromProcess(_ environment: [String: String]) -> ConfigurationEnvironment {
        func first(_ key: String) -> String? {
            environment[key].flatMap { $0.split(separator: ":").first.map(String.init) }
        }
        return ConfigurationEnvironment(
            credentialsDirectory: environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 },
            runtimeDirectory: first("RUNTIME_DIRECTORY"), stateDirectory: first("STATE_DIRECTORY"))
    }
}
