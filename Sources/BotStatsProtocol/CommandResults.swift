/// The result object of `metrics`: the exposition text.
package struct MetricsResult: Codable, Sendable, Equatable {
    package var text: String

    package init(text: String) {
        self.text = text
    }
}

/// The answer to a successful `reload`.
package struct ReloadResult: Codable, Sendable, Equatable {
    package var configPath: String
    package var bots: Int
    package var targets: Int

    package init(configPath: String, bots: Int, targets: Int) {
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
package struct PostResults: Codable, Sendable, Equatable {
    package var results: [PostResult]

    package init(results: [PostResult]) {
        self.results = results
    }
}
