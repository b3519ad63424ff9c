#if canImport(FoundationEssentials)
import FoundationEssentials
import BotStatsProtocol
#else
import FoundationEssentials
#endif

extension PersistedTarget {
    /// Brings this list's saved counters, versions and times into range and returns the keys that
    /// had to change; the rules are those of ``PersistedBot/clampForLoad(now:maxWait:)``.
    ///
    /// - Parameter countsVersion: the bot's counts version; a list cannot have received newer counts.
    mutating func clampForLoad(now: Date, maxWait: Duration, countsVersion: UInt64) -> [String] {
        var adjusted: [String] = []
        func counter(_ value: inout Int, _ key: String) {
            let clamped = min(max(0, value), StateLimits.counterCeiling)
            guard clamped != value else { return }
            value = clamped
            adjusted.append(key)
        }
        func optionalCounter(_ value: inout Int?, _ key: String) {
            guard let current = value else { return }
            // A negative limit or remaining means nothing; unknown is what status shows for it.
            let clamped = current < 0 ? nil : min(current, StateLimits.counterCeiling)
            guard clamped != current else { return }
            value = clamped
            adjusted.append(key)
        }
        func wait(_ date: inout Date?, _ key: String) {
            let latest = now.addingTimeInterval(maxWait.seconds)
            guard let value = date, value > latest else { return }
            date = latest
            adjusted.append(key)
        }
        func happened(_ date: inout Date?, _ key: String) {
            guard let value = date, value > now else { return }
            date = now
            adjusted.append(key)
        }

        counter(&consecutiveFailures, "consecutive_failures")
        counter(&postsTotal, "posts_total")
        counter(&failuresTotal, "failures_total")
        counter(&retriesTotal, "retries_total")
        for key in failureClasses.keys.sorted() { counter(&failureClasses[key]!, "failure_classes.\(key)") }
        optionalCounter(&rateLimit.limit, "rate_limit.limit")
        optionalCounter(&rateLimit.remaining, "rate_limit.remaining")
        if let status = lastStatus, !(100...999).contains(status) {
            lastStatus = nil
            adjusted.append("last_status")
        }
        if deliveredVersion > countsVersion {
            deliveredVersion = countsVersion
            adjusted.append("delivered_version")
        }
        wait(&notBefore, "not_before")
        wait(&rateLimit.resetAt, "rate_limit.reset_at")
        happened(&lastAttemptAt, "last_attempt_at")
        happened(&lastSuccessAt, "last_success_at")
        return adjusted
    }
}
