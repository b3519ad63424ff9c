import FoundationEssentials
import BotStatsProtocol

/// One fully built HTTP request to a bot list, ready for the transport.
///
/// It holds the token in a header; use `redactedSummary(token:)` for anything a person reads.
package struct OutgoingRequest: Sendable, Equatable {
    package var method: String
    package var url: String
    /// Header name and value pairs in send order.
    package var headers: [(name: String, value: String)]
    /// The body bytes as text (always JSON here); nil sends no body.
    package var body: String?

    package init(method: String, url: String, headers: [(name: String, value: String)], body: String?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of the first header called `name` (case-insensitive).
    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Method, URL, headers and body as one line, with every occurrence of `token` replaced.
    package func redactedSummary(token: Secret) -> String {
        let headerText = headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        let text = "\(method) \(url) [\(headerText)] \(body ?? "(no body)")"
        return Redactor(secrets: [token]).redact(text)
    }

    package static func == (lhs: OutgoingRequest, rhs: OutgoingRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name)\u{0}\($0.value)" } == rhs.headers.map { "\($0.name)\u{0}\($0.value)" }
    }
}
