/// The product's version and the identity it sends to bot lists.
public enum BotStatsVersion {
    /// Semantic version of this build.
    public static let version = "0.1.0"
    /// Where a list operator can read what is calling them.
    public static let projectURL = "https://github.com/botstatsd/botstatsd"
    /// `User-Agent` of every request: `botstatsd/<version> (+<project url>)`.
    public static let userAgent = "botstatsd/\(version) (+\(projectURL))"
}
