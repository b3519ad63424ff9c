import Synchronization
import BotStatsProtocol

/// At most `perMinute` requests per client, refilled evenly over the minute (a token bucket):
/// a client that asks more often is told how long to wait, in whole seconds for `Retry-After`.
package final class IntakeRateLimiter<C: Clock>: Sendable where C.Duration == Duration {
    private struct Bucket {
        var tokens: Double
        var updated: C.Instant
    }

    private let perMinute: Int
    private let clock: C
    private let buckets = Mutex<[String: Bucket]>([:])

    package init(perMinute: Int, clock: C) {
        self.perMinute = max(1, perMinute)
        self.clock = clock
    }

    /// Takes one request for `client`: nil when allowed, else the seconds to wait (at least 1).
    package func admit(_ client: String) -> Int? {
        let now = clock.now
        let capacity = Double(perMinute)
        let perSecond = capacity / 60
        return buckets.withLock { buckets -> Int? in
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            let (seconds, attoseconds) = bucket.updated.duration(to: now).components
            let elapsed = max(0, Double(seconds) + Double(attoseconds) / 1e18)
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            defer { buckets[client] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }
}
