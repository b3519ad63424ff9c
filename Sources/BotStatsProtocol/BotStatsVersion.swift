import CBuildInfo

/// The product's version and the identity it sends to bot lists.
package enum BotStatsVersion {
    /// Semantic version of this build.
    package static let version = "0.1.0"
    /// Where a list operator can read what is calling them.
    package static let projectURL = "https://github.com/botstatsd/botstatsd"
    /// `User-Agent` of every request: `botstatsd/<version> (+<project url>)`.
    package static let userAgent = "botstatsd/\(version) (+\(projectURL))"

    /// The git revision the binaries were built from (`make` passes it), else `unknown`.
    package static var revision: String { String(cString: botstatsd_git_revision()) }

    /// The Swift compiler that built them.
    package static var swiftVersion: String {
        #if compiler(>=6.5)
        return "6.5 or later"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #else
        return "6.2 or earlier"
        #endif
    }

    /// What `--version` prints: `0.1.0 (git 1a2b3c4, Swift 6.3)`.
    package static var description: String { "\(version) (git \(revision), Swift \(swiftVersion))" }
}
