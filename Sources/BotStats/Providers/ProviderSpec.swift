import BotStatsProtocol

/// The shape of one bot list's stats request: one row of the provider table.
///
/// A list that changes its API is a one-line change to `ProviderTable`; there is no class per list.
public struct ProviderSpec: Sendable, Equatable {
    /// A count a request can carry.
    public enum Field: String, Sendable, Equatable {
        case servers, users, shards
    }

    /// One key of the JSON body and the count it carries; a key whose count is unknown is left out.
    public struct BodyField: Sendable, Equatable {
        public let key: String
        public let field: Field

        public init(_ key: String, _ field: Field) {
            self.key = key
            self.field = field
        }
    }

    /// The provider name used in `provider = "…"`.
    public let name: String
    /// The base URL the path is appended to, unless `base_url` replaces it.
    public let defaultBaseURL: String
    /// HTTP method.
    public let method: String
    /// Path template appended to the base URL; `{bot_id}` `{servers}` `{users}` `{shards}` expand.
    public let path: String
    /// `Authorization` header value template; `{token}` expands.
    public let authorization: String
    /// JSON body fields in order; empty means no body.
    public let body: [BodyField]

    public init(name: String, defaultBaseURL: String, method: String, path: String, authorization: String, body: [BodyField]) {
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
public struct CustomTemplate: Sendable, Equatable {
    public var url: String
    public var method: String
    /// Header name and value template pairs, in the order of the file.
    public var headers: [HeaderTemplate]
    /// Body template; nil sends no body.
    public var body: String?

    public init(url: String, method: String, headers: [HeaderTemplate], body: String?) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
    }
}

/// One header of a custom template.
public struct HeaderTemplate: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// What a target sends: a built-in provider's request or a custom template.
public enum RequestShape: Sendable, Equatable {
    case builtin(ProviderSpec)
    case custom(CustomTemplate)
}
