import FoundationEssentials

/// `source` in a bot's status: where counts come from and how the last fetch went.
package struct SourceStatus: Decodable, Sendable, Equatable {
    /// `push` or `discord`.
    package var kind: String
    package var lastFetchAt: Date?
    package var lastError: String?

    package init(kind: String, lastFetchAt: Date?, lastError: String?) {
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
