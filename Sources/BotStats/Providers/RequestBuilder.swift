import FoundationEssentials
import BotStatsProtocol

/// Builds the HTTP request a target sends for a bot's counts.
///
/// Expansion is plain text substitution of the known placeholders only, so JSON braces in a
/// custom body template are left alone.
package struct RequestBuilder: Sendable {
    /// The `User-Agent` every request carries.
    package let userAgent: String

    package init(userAgent: String = BotStatsVersion.userAgent) {
        self.userAgent = userAgent
    }

    /// The request `target` sends for `counts` of the bot `botID`.
    package func request(for target: TargetSettings, botID: String, counts: BotCounts) -> OutgoingRequest {
        switch target.request {
        case .builtin(let spec):
            return builtinRequest(spec, baseURL: target.baseURL, botID: botID, counts: counts, token: target.token)
        case .custom(let template):
            return customRequest(template, botID: botID, counts: counts, token: target.token)
        }
    }

    private func builtinRequest(
        _ spec: ProviderSpec, baseURL: String?, botID: String, counts: BotCounts, token: Secret
    ) -> OutgoingRequest {
        let base = (baseURL ?? spec.defaultBaseURL).trimmingTrailingSlashes()
        let path = expand(spec.path, botID: botID, counts: counts, unknown: "")
        var headers: [(name: String, value: String)] = [
            ("Authorization", spec.authorization.replacing("{token}", with: token.revealed)),
            ("User-Agent", userAgent),
        ]
        var body: String?
        if !spec.body.isEmpty {
            let members = spec.body.compactMap { field -> String? in
                guard let value = value(of: field.field, in: counts) else { return nil }
                return "\"\(field.key)\":\(value)"
            }
            body = "{" + members.joined(separator: ",") + "}"
            headers.append(("Content-Type", "application/json"))
        }
        return OutgoingRequest(method: spec.method, url: base + path, headers: headers, body: body)
    }

    private func customRequest(
        _ template: CustomTemplate, botID: String, counts: BotCounts, token: Secret
    ) -> OutgoingRequest {
        var headers: [(name: String, value: String)] = template.headers.map { header in
            let value = expand(header.value, botID: botID, counts: counts, unknown: "")
                .replacing("{token}", with: token.revealed)
            return (header.name, value)
        }
        if !headers.contains(where: { $0.name.lowercased() == "user-agent" }) {
            headers.append(("User-Agent", userAgent))
        }
        let body = template.body.map { expand($0, botID: botID, counts: counts, unknown: "null") }
        if body != nil, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/json"))
        }
        let url = expand(template.url, botID: botID, counts: counts, unknown: "")
        return OutgoingRequest(method: template.method, url: url, headers: headers, body: body)
    }

    private func expand(_ template: String, botID: String, counts: BotCounts, unknown: String) -> String {
        template
            .replacing("{bot_id}", with: botID)
            .replacing("{servers}", with: String(counts.servers))
            .replacing("{users}", with: counts.users.map(String.init) ?? unknown)
            .replacing("{shards}", with: counts.shards.map(String.init) ?? unknown)
    }

    private func value(of field: ProviderSpec.Field, in counts: BotCounts) -> Int? {
        switch field {
        case .servers: return counts.servers
        case .users: return counts.users
        case .shards: return counts.shards
        }
    }
}
