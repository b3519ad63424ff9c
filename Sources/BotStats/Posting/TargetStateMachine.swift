import FoundationEssentials
import Logging
import BotStatsProtocol

/// Everything about one target's posting, and every decision about it, free of I/O: feed in
/// triggers, ticks and answers, get back "send now", "wait until T" or "nothing to do", and for
/// each answer an `Outcome` saying how the post ended, what to show and what to log.
///
/// This is the one home of a target's state: what status shows and the state file keeps is read
/// from here (`persisted(now:wallNow:)`), never merged from a second record.
///
/// Generic over the instant type so unit tests drive it with hand-made instants; the daemon uses
/// `ContinuousClock.Instant`. Wall-clock time enters only as a `wallNow` argument, to stamp
/// attempts and to convert a list's epochs and HTTP-dates, so every function stays pure.
package struct TargetStateMachine<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// What the worker should do next.
    package enum Action: Sendable, Equatable {
        /// Nothing to post; wait for a trigger.
        case idle
        /// A post is due but must wait for a cooldown, a backoff or a circuit probe.
        case wait(until: Instant)
        /// Send the current counts now; `attempt` is 1 for the first try of a post.
        case send(attempt: Int, version: UInt64)
    }

    /// How a post (not a single attempt) ended, for callers waiting on it.
    package enum Resolution: Sendable, Equatable {
        case delivered
        case failed
        case deferred(until: Instant)
    }

    /// What recording one attempt decided, for the engine to apply.
    package struct Outcome: Sendable, Equatable {
        /// How the post ended; nil while it goes on (a retry follows) or when nothing was sent.
        package var resolution: Resolution?
        /// What a `post` call waiting for this attempt is told; nil while a retry follows.
        package var answer: PostOutcome?
        /// The list accepted the counts: the bot's `last_posted_at` moves.
        package var delivered: Bool
        /// The status shown for the target; nil when no answer came.
        package var httpStatus: Int?
        /// The error shown for the target, safe to show (see `SafeText`); nil on success.
        package var error: String?
        /// The rate-limit window the answer reported; nil when it reported none.
        package var rateLimit: RateLimitWindow?
        /// What to log, in order: ignored rate-limit values, then the line about the attempt
        /// (once per distinct failure; repeats are counted and logged at debug level).
        package var log: [LogEntry]
        /// Whether the state file should take the change (not for a dry run, which writes nothing).
        package var persist: Bool

        /// Nothing happened: an answer for an attempt that was not in flight.
        static var none: Outcome {
            Outcome(resolution: nil, answer: nil, delivered: false, log: [], persist: false)
        }
    }

    /// Consecutive failed posts that open the circuit.
    package static var circuitThreshold: Int { 5 }

    package private(set) var policy: RetryPolicy
    /// How long an open circuit waits before its single probe.
    package let circuitCooldown: Duration

    package private(set) var state: TargetState
    /// Version of the newest counts that still have to reach this list; nil when it is up to date.
    package private(set) var pendingVersion: UInt64?
    package private(set) var inFlightVersion: UInt64?
    /// Failed attempts of the current post.
    package private(set) var failedAttempts = 0
    /// No request before this instant (rate limit, backoff or circuit probe).
    package private(set) var notBefore: Instant?
    package private(set) var consecutiveFailures = 0
    package private(set) var postsTotal = 0
    package private(set) var failuresTotal = 0
    package private(set) var retriesTotal = 0
    /// The counts version this list last accepted.
    package private(set) var deliveredVersion: UInt64 = 0
    package private(set) var lastAttemptAt: Date?
    package private(set) var lastSuccessAt: Date?
    package private(set) var lastStatus: Int?
    package private(set) var lastError: String?
    /// The last rate-limit window the list reported.
    package private(set) var rateLimit = RateLimitWindow()
    /// Failed attempts by metrics class (`PostFailure.metricsClass`).
    package private(set) var failureClasses: [String: Int] = [:]
    /// What was last logged about this target's failures, so repeats are counted, not logged.
    private var failureLog = FailureLogSummary()

    package init(policy: RetryPolicy, enabled: Bool, circuitCooldown: Duration = .seconds(600)) {
        self.policy = policy
        self.circuitCooldown = circuitCooldown
        self.state = enabled ? .ok : .disabled
    }

    /// Puts back what a previous run saved: the shown state, the failure streak, a cooldown still
    /// in force (a saved date converted to an instant against `now` and `wallNow`), the counters
    /// and the last attempt's facts.
    ///
    /// Whatever the counters hold, counting on from them never traps: a negative one starts at
    /// zero, and every count stops at `Int.max` (the state file loader already keeps them far below).
    package mutating func restore(_ record: PersistedTarget, now: Instant, wallNow: Date) {
        restore(
            state: record.state, consecutiveFailures: record.consecutiveFailures,
            notBefore: record.notBefore.flatMap { date in
                date > wallNow ? now.advanced(by: .seconds(date.timeIntervalSince(wallNow))) : nil
            },
            postsTotal: record.postsTotal, failuresTotal: record.failuresTotal, retriesTotal: record.retriesTotal)
        deliveredVersion = record.deliveredVersion
        lastAttemptAt = record.lastAttemptAt
        lastSuccessAt = record.lastSuccessAt
        lastStatus = record.lastStatus
        lastError = record.lastError
        rateLimit = record.rateLimit
        failureClasses = record.failureClasses
    }

    /// Puts back the part of a saved target that decides posting: the shown state, the failure
    /// streak, a cooldown still in force (already an instant) and the counters.
    package mutating func restore(
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

    /// The target as its state file keeps it; the cooldown's instant becomes a date against
    /// `now` and `wallNow`.
    package func persisted(now: Instant, wallNow: Date) -> PersistedTarget {
        var record = PersistedTarget()
        record.state = state
        record.deliveredVersion = deliveredVersion
        record.lastAttemptAt = lastAttemptAt
        record.lastSuccessAt = lastSuccessAt
        record.lastStatus = lastStatus
        record.lastError = lastError
        record.consecutiveFailures = consecutiveFailures
        record.postsTotal = postsTotal
        record.failuresTotal = failuresTotal
        record.retriesTotal = retriesTotal
        record.notBefore = notBefore.map { Self.date(of: $0, now: now, wallNow: wallNow) }
        record.rateLimit = rateLimit
        record.failureClasses = failureClasses
        return record
    }

    /// The wall-clock date of `instant`, measured from `now`, which is `wallNow`.
    static func date(of instant: Instant, now: Instant, wallNow: Date) -> Date {
        wallNow.addingTimeInterval(now.duration(to: instant).seconds)
    }

    /// A reload changed the retry settings or switched the target on or off; everything else,
    /// cooldowns included, is kept.
    package mutating func reconfigure(policy: RetryPolicy, enabled: Bool) {
        self.policy = policy
        if !enabled {
            state = .disabled
            pendingVersion = nil
        } else if state == .disabled {
            state = .ok
        }
    }

    /// New counts, a repost or a manual post: the list must be told `version`.
    package mutating func trigger(version: UInt64) {
        guard state != .disabled else { return }
        pendingVersion = max(version, pendingVersion ?? 0)
        switch state {
        case .ok, .unauthorized, .rejected: state = .pending
        default: break
        }
    }

    /// What to do at `now`.
    package mutating func nextAction(now: Instant) -> Action {
        guard state != .disabled, inFlightVersion == nil, let version = pendingVersion else { return .idle }
        if let notBefore, now < notBefore {
            if state == .pending || state == .ok { state = .rateLimited }
            return .wait(until: notBefore)
        }
        inFlightVersion = version
        return .send(attempt: failedAttempts + 1, version: version)
    }

    /// Records the answer to the attempt that `nextAction` asked for, and decides what follows.
    ///
    /// Reads the answer (`AttemptReading`: failure, rate-limit wait and window), decides retry,
    /// deferral or giving up (`RetryPolicy.decision`), moves the state and counters, words the
    /// error for status (a list's body through `SafeText`: tokens redacted, cut to 300 bytes),
    /// and decides what to log.
    ///
    /// - Parameters:
    ///   - wallNow: the wall-clock time of `now`; stamps the attempt and converts the list's
    ///     epochs and HTTP-dates when the answer has no `Date` header.
    ///   - unitRandom: jitter source in `0...1`.
    ///   - redactor: the tokens to keep out of error text.
    package mutating func record(
        response: Result<TransportResponse, PostFailure>, now: Instant, wallNow: Date, unitRandom: Double,
        redactor: Redactor
    ) -> Outcome {
        guard let sent = inFlightVersion else { return .none }
        let reading = AttemptReading(response, wallNow: wallNow)
        lastStatus = reading.response?.status
        lastError = Self.errorText(reading, timeout: policy.settings.timeout, redactor: redactor)
        let window = reading.window(wallNow: wallNow)
        if let window { rateLimit = window }
        let resolution = record(
            failure: reading.failure, requiredWait: reading.rateLimit.requiredWait, now: now, unitRandom: unitRandom)
        lastAttemptAt = wallNow
        if let failure = reading.failure {
            failureClasses[failure.metricsClass, default: 0].addSaturating(1)
        } else {
            lastSuccessAt = wallNow
            deliveredVersion = max(deliveredVersion, sent)
        }
        let answer: PostOutcome? =
            switch resolution {
            case .delivered: .delivered
            case .failed: .failed
            case .deferred: .deferred
            case nil: nil  // a retry follows; the engine answers if it has to wait for it
            }
        return Outcome(
            resolution: resolution, answer: answer, delivered: reading.failure == nil, httpStatus: lastStatus,
            error: lastError, rateLimit: window,
            log: reading.notes + [logEntry(failure: reading.failure, resolution: resolution, now: now, wallNow: wallNow)],
            persist: true)
    }

    /// The error status shows for an attempt: nil on success; for a list's non-2xx answer the
    /// status, a hint and what the list said, made safe (escape sequences removed, tokens
    /// redacted in any form, then cut to 300 bytes).
    static func errorText(_ reading: AttemptReading, timeout: Duration, redactor: Redactor) -> String? {
        if let response = reading.response {
            guard reading.failure != nil else { return nil }
            let hint: String
            switch response.status {
            case 401, 403: hint = " (check the token)"
            case 404: hint = " (check the bot id and the provider's base_url)"
            case 300..<400: hint = " (redirects are not followed; check base_url)"
            default: hint = ""
            }
            let detail = SafeText(utf8: response.body, redactor: redactor).text
            return "HTTP \(response.status)\(hint)" + (detail.isEmpty ? "" : ": " + detail)
        }
        switch reading.failure {
        case .timeout: return "no answer within \(DurationText.format(timeout))"
        case .connection(let message): return "connection failed: " + SafeText(message, redactor: redactor).text
        case .status(let code): return "HTTP \(code)"
        case nil: return nil
        }
    }

    /// The log line about an attempt: every success, and each distinct failure once (see
    /// `FailureLogSummary`); a repeat goes to debug level.
    private mutating func logEntry(failure: PostFailure?, resolution: Resolution?, now: Instant, wallNow: Date) -> LogEntry {
        var metadata = ["target.state": state.rawValue]
        if let lastStatus { metadata["http.status"] = "\(lastStatus)" }
        guard failure != nil else {
            if let suppressed = failureLog.recovered() {
                metadata["failures.unlogged"] = "\(suppressed)"
                return LogEntry(.notice, "posted again after failures", metadata: metadata)
            }
            return LogEntry(.info, "posted", metadata: metadata)
        }
        let error = lastError ?? ""
        metadata["error"] = error
        if let notBefore {
            metadata["next_attempt_at"] = RFC3339.format(Self.date(of: notBefore, now: now, wallNow: wallNow))
        }
        let (kind, message, level): (String, String, Logger.Level) =
            switch resolution {
            case nil: ("retry", "post failed; retrying", .warning)
            case .deferred: ("deferred", "list asked for a long wait; post deferred", .warning)
            case .failed, .delivered: ("failed", "post failed; giving up until the next repost", .error)
            }
        guard let unlogged = failureLog.shouldLog(kind: kind, error: error) else {
            return LogEntry(.debug, "\(message) (same failure as before; not logged again)", metadata: metadata)
        }
        if unlogged > 0 { metadata["repeats.unlogged"] = "\(unlogged)" }
        return LogEntry(level, message, metadata: metadata)
    }

    /// Moves the state for the attempt in flight: delivered, a retry scheduled, deferred, or
    /// given up (and the circuit opened after enough failed posts). The state transition of
    /// `record(response:now:wallNow:unitRandom:redactor:)`, without reading an answer or
    /// deciding text and log lines.
    ///
    /// - Parameters:
    ///   - failure: nil for a 2xx answer.
    ///   - requiredWait: the wait the list demanded (`RateLimitReading.requiredWait`).
    ///   - unitRandom: jitter source in `0...1`.
    /// - Returns: how the post ended, or nil when it goes on (a retry is scheduled).
    mutating func record(
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

        switch policy.decision(
            retryable: RetryPolicy.isRetryable(failure), failedAttempts: failedAttempts, serverWait: serverWait,
            unitRandom: unitRandom)
        {
        case .retry(let delay):
            notBefore = now.advanced(by: delay)
            retriesTotal.addSaturating(1)
            state = failure == .status(429) ? .rateLimited : .retrying
            return nil
        case .deferred(let wait):
            // Too long to hold a retry loop: the post is deferred to the moment the list named.
            failedAttempts = 0
            let until = now.advanced(by: wait)
            notBefore = until
            state = .rateLimited
            return .deferred(until: until)
        case .giveUp:
            notBefore = serverWait.map { now.advanced(by: $0) }
            if !RetryPolicy.isRetryable(failure) {
                if case .status(let code) = failure, code == 401 || code == 403 {
                    state = .unauthorized
                } else {
                    state = .rejected
                }
            } else {
                state = .retrying
            }
            return endFailedPost(now: now)
        }
    }

    /// A dry run "sent" the attempt `nextAction` asked for: nothing reached the list, so the
    /// counts stay undelivered (`pending`) and nothing counts as a post, a success or a failure.
    package mutating func recordNotSent(wallNow: Date) -> Outcome {
        guard let sent = inFlightVersion else { return .none }
        inFlightVersion = nil
        if pendingVersion == sent { pendingVersion = nil }
        if state != .disabled { state = .pending }
        lastAttemptAt = wallNow
        lastStatus = nil
        lastError = nil
        // Nothing was sent, so nothing was accepted: no status, no success, no delivery.
        return Outcome(resolution: nil, answer: .dryRun, delivered: false, log: [], persist: false)
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
