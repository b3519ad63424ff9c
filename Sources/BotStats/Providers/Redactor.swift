import Foundation

/// Replaces secrets in text that is about to reach a person: logs, status, errors.
///
/// A last line of defence: code should never interpolate a token in the first place, but a list
/// that echoes our Authorization header back in an error body must not leak it either.
public struct Redactor: Sendable {
    private let secrets: [String]

    /// Secrets shorter than 4 characters are ignored: replacing them would mangle ordinary text
    /// and they are not secret enough to matter.
    public init(secrets: [Secret]) {
        self.secrets = secrets.map(\.revealed).filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `[redacted]`.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: "[redacted]")
        }
        return result
    }
}
