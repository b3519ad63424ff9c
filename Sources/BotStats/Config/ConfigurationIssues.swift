/// Collects every error and warning while one file is read, with lines where they can be found.
final class ConfigurationIssues {
    private(set) var errors: [ConfigurationError] = []
    private(set) var warnings: [String] = []

    func error(file: String, locator: KeyLineLocator?, keyPath: String, _ message: String) {
        errors.append(ConfigurationError(file: file, line: locator?.line(of: keyPath), keyPath: keyPath, message: message))
    }

    func append(_ error: ConfigurationError) {
        errors.append(error)
    }

    func warning(_ message: String) {
        warnings.append(message)
    }
}
