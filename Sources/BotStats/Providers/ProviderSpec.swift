import BotStatsProtocol

/// The shape of one bot list's stats request: one row of the provider table.
///
/// A list that changes its API is a one-line change to `ProviderTable`; there is no class per list.
package struct ProviderSpec: Sendable, Equatable {
    /// A count a request can carry.
    package enum Field: String, Sendable, Equatable {
        case servers, users, shards
    }

    /// One key of the JSON body and the count it carries; a key whose count is unknown is left out.
    package struct BodyField: Sendable, Equatable {
        package let key: String
        package let field: Field

        package init(_ key: String, _ field: Field) {
            self.key = key
            self.field = field
        }
    }

    /// The provider name used in `provider = "…"`.
    package let name: String
    /// The base URL the path is appended to, unless `base_url` replaces it.
    package let defaultBaseURL: String
    /// HTTP method.
    package let method: String
    /// Path template appended to the base URL; `{bot_id}` `{servers}` `{users}` `{shards}` expand.
    package let path: String
    /// `Authorization` header value template; `{token}` expands.
    package let authorization: String
    /// JSON body fields in order; empty means no body.
    package let body: [BodyField]

    package init(name: String, defaultBaseURL: String, method: String, path: String, authorization: String, body: [BodyField]) {
        self.name = name
        self.defaultBaseURL = defaultBaseURL
        self.method = method
        self.path = path
        self.authorization = authorization
        self.body = body
    }
}

/// A `provider = "custom"` target's request, written by the operator as templates.
///
/// `{bot_id}` `{servers}` `{users}` `{shards}` expand everywhere; `{token}` expands in headers only.
/// In the body an unknown count expands to `null`, in the URL to nothing.
package struct CustomTemplate: Sendable, Equatable {
    package var url: String
    package var method: String
    /// Header name and value template pairs, in the order of the file.
    package var headers: [HeaderTemplate]
    /// Body template; nil sends no body.
    package var body: String?

    package init(url: String, method: String, headers: [HeaderTemplate], body: String?) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// One header of a custom template.
package struct HeaderTemplate: Sendable, Equatable {
    package var name: String
    package var value: String

    package init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What a target sends: a built-in provider's request or a custom template.
package enum RequestShape: Sendable, Equatable {
    case builtin(ProviderSpec)
    case custom(CustomTemplate)
}
