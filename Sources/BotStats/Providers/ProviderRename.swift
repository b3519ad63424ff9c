import BotStatsProtocol

/// A built-in provider's old name, kept working after the list renamed itself.
///
/// Looking the old name up in ``ProviderTable/provider(named:)`` gives the new provider; the
/// notice tells the operator to update the configuration, and is meant to be logged once.
package struct ProviderRename: Sendable, Equatable {
    /// The provider name the old one now stands for.
    package let newName: String
    /// One line for the log: what changed and what to write instead. Holds no secrets.
    package let notice: String

    /// A rename to `newName`, explained by `notice`.
    package init(newName: String, notice: String) {
        self.newName = newName
        self.notice = notice
    }
}
