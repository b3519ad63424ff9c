import FoundationEssentials
import BotStatsProtocol

/// What an `X-RateLimit-Reset` value means, told apart by magnitude because lists disagree:
/// GitHub-style lists send epoch seconds, some JavaScript backends epoch milliseconds, and
/// others a delta in seconds, all under the same header name.
enum ResetValue: Sendable, Equatable {
    /// Seconds from now: below 1e8 (about three years), which no epoch of a running server is.
    case delta(Duration)
    /// A moment, as time since 1970.
    case epoch(Duration)

    /// 1e8 seconds is March 1973: smaller values cannot be a current epoch.
    static let epochSecondsThreshold: Int64 = 100_000_000
    /// 1e11 seconds is the year 5138 but 1e11 milliseconds is 1973, so at or above it the
    /// value can only be milliseconds.
    static let epochMillisecondsThreshold: Int64 = 100_000_000_000

    /// Classifies a parsed header value.
    init(_ value: DecimalSeconds) {
        if value.whole < Self.epochSecondsThreshold {
            self = .delta(value.asSeconds)
        } else if value.whole < Self.epochMillisecondsThreshold {
            self = .epoch(value.asSeconds)
        } else {
            self = .epoch(value.asMilliseconds)
        }
    }

    /// The wait this reset implies, measured from `reference` (the response's `Date` when it
    /// had one); a reset already past is a zero wait, never a negative one.
    func wait(from reference: Date) -> Duration {
        switch self {
        case .delta(let d):
            return d
        case .epoch(let moment):
            let remaining = moment - DecimalSeconds.sinceEpoch(reference)
            return remaining > .zero ? remaining : .zero
        }
    }
}
