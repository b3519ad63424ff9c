import Foundation

/// One HTTP request as ``FakeBotList`` received it.
struct RecordedRequest: Sendable, CustomStringConvertible {
    /// The method, e.g. `POST` or `PATCH`.
    let method: String
    /// The request target as sent: path plus query, e.g. `/bots/42/guilds?count=7`.
    let path: String
    /// Every header in arrival order, names as the client spelled them.
    let headers: [(String, String)]
    /// The body decoded as UTF-8 (empty when there was none).
    let body: String
    /// When the request head arrived (monotonic clock).
    let receivedAt: ContinuousClock.Instant

    /// The path without its query string.
    var pathWithoutQuery: String {
        path.firstIndex(of: "?").map { String(path[..<$0]) } ?? path
    }

    /// The query string after `?`, or `nil` when there is none.
    var query: String? {
        path.firstIndex(of: "?").map { String(path[path.index(after: $0)...]) }
    }

    /// The first value of the header `name`, compared case-insensitively, or `nil`.
    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// The body parsed as a JSON object, or `nil` when it is not one.
    func jsonBody() -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }

    /// `METHOD path` and the body, for failure messages.
    var description: String {
        body.isEmpty ? "\(method) \(path)" : "\(method) \(path) \(body)"
    }
}
