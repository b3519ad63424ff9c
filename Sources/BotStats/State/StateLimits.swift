import BotStatsProtocol

/// The ranges a saved value must lie in before a loaded state file is acted on.
///
/// A state file is input like any other: it may have been written under a wrong clock, edited by
/// hand, or planted. Values the daemon would post (counts) are checked against the same limits the
/// control socket enforces, so a file can never make a list receive a number no `set` could send;
/// values it only counts with or waits on are brought into range instead.
package enum StateLimits {
    /// Largest servers, users or shards count a saved file may hold: the control protocol's 10^12.
    package static var maxCount: Int { ControlRequest.maxCount }

    /// Largest shard count of per-shard reporting, as `set --shard-count` accepts it.
    package static var maxShardCount: Int { CountsIntake.maxShards }

    /// Largest counter or version kept from a file: 2^53.
    ///
    /// It is the largest integer every JSON reader of `status --json` and every Prometheus float
    /// holds exactly, a post a second would take 285 million years to reach it, and it leaves
    /// `+ 1` on a loaded counter far from overflowing wherever that is done.
    package static let counterCeiling: Int = 1 << 53

    /// Longest wait a loaded time may impose: the cap on any wait a list asks for
    /// (``RateLimitReading/cap``, 6 hours), so a file written under a clock years ahead cannot
    /// silence a list for longer than a live header could.
    package static var maxWait: Duration { RateLimitReading.cap }
}
