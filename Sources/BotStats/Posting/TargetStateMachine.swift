import BotStatsProtocol

/// The posting decisions for one target, free of I/O: feed in triggers, ticks and outcomes,
/// get back "send now", "wait until T" or "nothing to do".
///
/// Generic over the instant type so unit tests drive it with hand-made instants; the daemon uses
/// `ContinuousClock.Instant`. Wall-clock time never enters here.
public struct TargetStateMachine<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// What the worker should do next.
    public enum Action: Sendable, Equatable {
        /// Nothing to post; wait for a trigger.
        case idle
        /// A post is due but must wait for a cooldown, a backoff or a circuit probe.
        case wait(until: Instant)
        /// Send the current counts now; `attempt` is 1 for the first try of a post.
        case send(attempt: Int, version: UInt64)
    }

    /// How a post (not a single attempt) ended, for callers waiting on it.
    public enum Resolution: Sendable, Equatable {
        case delivered
        case failed
        case deferred(until: Instant)
    }

    /// Consecutive failed posts that open the circuit.
    public static var circuitThreshold: Int { 5 }

    public private(set) var policy: RetryPolicy
    /// How long an open circuit waits before its single probe.
    public let circuitCooldown: Duration

    public private(set) var state: TargetState
    /// Version of the newest counts that still have to reach this list; nil when it is up to date.
    public private(set) var pendingVersion: UInt64?
    public private(set) var inFlightVersion: UInt64?
    /// Failed attempts of the current post.
    public private(set) var failedAttempts = 0
    /// No request before this instant (rate limit, backoff or circuit probe).
    public private(set) var notBefore: Instant?
    public private(set) var consecutiveFailures = 0
    public private(set) var postsTotal = 0
    public private(set) var failuresTotal = 0
    public private(set) var retriesTotal = 0

    public init(policy: RetryPolicy, enabled: Bool, circuitCooldown: Duration = .seconds(600)) {
        self.policy = policy
        self.circuitCooldown = circuitCooldown
        self.state = enabled ? .ok : .disabled
    }

    /// Puts back what a previous run persisted: the shown state, the failure streak, a cooldown
    /// still in force and the counters.
    ///
    /// Whatever the counters hold, counting on from them never traps: a negative one starts at
    /// zero, and every count stops at `Int.max` (the state file loader already keeps them far below).
    public mutating func restore(
        state restored: TargetState, consecutiveFailures: Int, notBefore: Instant?,
        postsTotal: Int, failuresTotal: Int, retriesTotal: Int
    ) {
        if state != .disabled {
            // A post that was pending or retrying when the daemon stopped is decided anew by the
            // engine's triggers, so only states that carry meaning on their own are restored.
            switch restored {
            case .unauthorized, .rejected, .circuitOpen, .rateLimited: state = restored
            default: state = .ok
            }
        }
        self.consecutiveFailures = max(0, consecutiveFailures)
        self.notBefore = notBefore
        self.postsTotal = max(0, postsTotal)
        self.failuresTotal = max(0, failuresTotal)
        self.retriesTotal = max(0, retriesTotal)
    }

    /// A reload changed the retry settings or switched the target on or off; everything else,
    /// cooldowns included, is kept.
    public mutating func reconfigure(policy: RetryPolicy, enabled: Bool) {
        self.policy = policy
        if !enabled {
            state = .disabled
            pendingVersion = nil
        } else if state == .disabled {
            state = .ok
        }
    }

    /// New counts, a repost or a manual post: the list must be told `version`.
    public mutating func trigger(version: UInt64) {
        guard state != .disabled else { return }
        pendingVersion = max(version, pendingVersion ?? 0)
        switch state {
        case .ok, .unauthorized, .rejected: state = .pending
        default: break
        }
    }

    /// What to do at `now`.
    public mutating func nextAction(now: Instant) -> Action {
        guard state != .disabled, inFlightVersion == nil, let version = pendingVersion else { return .idle }
        if let notBefore, now < notBefore {
            if state == .pending || state == .ok { state = .rateLimited }
            return .wait(until: notBefore)
        }
        inFlightVersion = version
        return .send(attempt: failedAttempts + 1, version: version)
    }

    /// Records the outcome of the attempt that `nextAction` asked for.
    ///
    /// - Parameters:
    ///   - failure: nil for a 2xx answer.
    ///   - requiredWait: the wait the list demanded (`RateLimitReading.requiredWait`).
    ///   - unitRandom: jitter source in `0...1`.
    /// - Returns: how the post ended, or nil when it goes on (a retry is scheduled).
    public mutating func record(
        failure: PostFailure?, requiredWait: Duration?, now: Instant, unitRandom: Double
    ) -> Resolution? {
        guard let sent = inFlightVersion else { return nil }
        inFlightVersion = nil
        postsTotal.addSaturating(1)
        let wasProbe = state == .circuitOpen
        let serverWait = requiredWait.flatMap { $0 > .zero ? $0 : nil }

        guard let failure else {
            consecutiveFailures = 0
            failedAttempts = 0
            if pendingVersion == sent { pendingVersion = nil }
            notBefore = serverWait.map { now.advanced(by: $0) }
            state = pendingVersion == nil ? .ok : .pending
            return .delivered
        }

        failuresTotal.addSaturating(1)
        failedAttempts += 1

        if wasProbe {
            // One probe per cooldown: a failed probe keeps the circuit open and the post pending.
            failedAttempts = 0
            notBefore = now.advanced(by: max(circuitCooldown, serverWait ?? .zero))
            return .failed
        }

        guard RetryPolicy.isRetryable(failure) else {
            notBefore = serverWait.map { now.advanced(by: $0) }
            if case .status(let code) = failure, code == 401 || code == 403 {
                state = .unauthorized
            } else {
                state = .rejected
            }
            return endFailedPost(now: now)
        }

        if let serverWait, serverWait > policy.settings.maxDelay {
            // Too long to hold a retry loop: the post is deferred to the moment the list named.
            failedAttempts = 0
            let until = now.advanced(by: serverWait)
            notBefore = until
            state = .rateLimited
            return .deferred(until: until)
        }

        if failedAttempts >= policy.settings.maxAttempts {
            notBefore = serverWait.map { now.advanced(by: $0) }
            state = .retrying
            return endFailedPost(now: now)
        }

        let delay = policy.delay(afterFailedAttempts: failedAttempts, floor: serverWait, unitRandom: unitRandom)
        notBefore = now.advanced(by: delay)
        retriesTotal.addSaturating(1)
        state = failure == .status(429) ? .rateLimited : .retrying
        return nil
    }

    /// A dry run "sent" the attempt `nextAction` asked for: nothing reached the list, so the
    /// counts stay undelivered (`pending`) and nothing counts as a post, a success or a failure.
    public mutating func recordNotSent() {
        guard let sent = inFlightVersion else { return }
        inFlightVersion = nil
        if pendingVersion == sent { pendingVersion = nil }
        if state != .disabled { state = .pending }
    }

    /// Gives up on the current post: the next trigger (repost, `set`, reload) tries again.
    private mutating func endFailedPost(now: Instant) -> Resolution {
        failedAttempts = 0
        pendingVersion = nil
        consecutiveFailures.addSaturating(1)
        if consecutiveFailures >= Self.circuitThreshold {
            state = .circuitOpen
            let probeAt = now.advanced(by: circuitCooldown)
            notBefore = max(notBefore ?? probeAt, probeAt)
        }
        return .failed
    }
}
