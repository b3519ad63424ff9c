import BotStatsProtocol

/// Keeps a failing list from filling the journal: each distinct failure (what kind of line and
/// what went wrong) is logged once; repeats are counted and the count is logged when the failure
/// changes or the list recovers.
///
/// The complaint this answers: SDKs that log the same 429 on every retry, forever.
struct FailureLogSummary: Sendable, Equatable {
    /// The distinct failures logged since the last success (kind and error text).
    private var logged: [String] = []
    private var unlogged = 0

    /// Whether to log this failure: nil to stay quiet, else how many repeats went unlogged before it.
    mutating func shouldLog(kind: String, error: String) -> Int? {
        let key = kind + "\u{0}" + error
        if logged.contains(key) {
            unlogged += 1
            return nil
        }
        // Remember a few, so a retry line and a give-up line about the same error both stay quiet
        // on the next round instead of alternating.
        logged.append(key)
        if logged.count > 4 { logged.removeFirst() }
        defer { unlogged = 0 }
        return unlogged
    }

    /// The list posted again: how many failures went unlogged, or nil if it was not failing.
    mutating func recovered() -> Int? {
        guard !logged.isEmpty else { return nil }
        defer {
            logged = []
            unlogged = 0
        }
        return unlogged
    }
}
