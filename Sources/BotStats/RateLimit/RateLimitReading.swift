import BotStatsProtocol

/// What one response said about the list's rate limit.
package struct RateLimitReading: Sendable, Equatable {
    /// Requests allowed per window: `X-RateLimit-Limit`, else the IETF `RateLimit-Policy` `q=`,
    /// the older structured `limit=`, or `RateLimit-Limit`. Of several IETF policies, the one that
    /// binds (see `remaining`) is reported.
    package var limit: Int?
    /// Requests left in the window. Of several IETF policies the binding one counts: an exhausted
    /// one (the one resetting last), else the one with the fewest left. When both the
    /// `X-RateLimit-*` and the IETF dialect answer, the smaller wins, so one exhausted window is
    /// enough to hold back.
    package var remaining: Int?
    /// How long until the current window resets, when the response said so in any dialect (capped);
    /// for the IETF dialect, the binding policy's window.
    package var resetIn: Duration?
    /// The wait the list demands before the next request, chosen by SPEC §5's precedence and capped at 6 hours; nil when it asked for none.
    package var requiredWait: Duration?

    /// A reading; everything defaults to "the response said nothing".
    package init(
        limit: Int? = nil,
        remaining: Int? = nil,
        resetIn: Duration? = nil,
        requiredWait: Duration? = nil
    ) {
        self.limit = limit
        self.remaining = remaining
        self.resetIn = resetIn
        self.requiredWait = requiredWait
    }

    /// The longest wait any list may impose (SPEC §5): longer asks are clamped to it, so a
    /// bogus "come back in a year" cannot silence a target for good.
    package static let cap: Duration = .seconds(6 * 3600)
}
