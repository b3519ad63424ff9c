/// The result object of `metrics`: the exposition text.
public struct MetricsResult: Codable, Sendable, Equatable {
    public var text: String

    public init(text: String) {
        self.text = text
    }
}

/// The answer to a successful `reload`.
public struct ReloadResult: Codable, Sendable, Equatable {
    public var configPath: String
    public var bots: Int
    public var targets: Int

    public init(configPath: String, bots: Int, targets: Int) {
        self.configPath = configPath
        self.bots = bots
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case bots, targets
        case configPath = "config_path"
    }
}

/// The result object of `post`.
public struct PostResults: Codable, Sendable, Equatable {
    public var results: [PostResult]

    public init(results: [PostResult]) {
        self.results = results
    }
}
