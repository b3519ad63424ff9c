import FoundationEssentials

/// `source` in a bot's status: where counts come from and how the last fetch went.
public struct SourceStatus: Decodable, Sendable, Equatable {
    /// `push` or `discord`.
    public var kind: String
    public var lastFetchAt: Date?
    public var lastError: String?

    public init(kind: String, lastFetchAt: Date?, lastError: String?) {
        self.kind = kind
        self.lastFetchAt = lastFetchAt
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case kind
        case lastFetchAt = "last_fetch_at"
        case lastError = "last_error"
    }

}
