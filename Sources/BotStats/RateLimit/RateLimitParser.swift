import FoundationEssentials
import Logging
import BotStatsProtocol

/// Turns one response's headers and body into a ``RateLimitReading`` (SPEC §5).
///
/// Pure and total: any input yields a reading, bad values are dropped with a debug log, and
/// every wait is finite, non-negative and at most ``RateLimitReading/cap``.
package enum RateLimitParser {
    /// Reads every rate-limit dialect in `headers` (and, on a 429, a JSON `body`).
    ///
    /// Header names are case-insensitive. When a header appears on several lines the first
    /// line that parses wins, and a comma-joined line (as proxies fold duplicates) is read the
    /// same way, element by element — except `Retry-After` and `Date`, whose dates contain
    /// commas, and the structured `RateLimit` and `RateLimit-Policy`, where every item on every
    /// line is a policy of its own and counts. Epochs and HTTP-dates are measured from the
    /// response's `Date` header when it parses, so a skewed local clock does not change the wait;
    /// `localNow` is the fallback.
    ///
    /// `requiredWait` precedence: (1) `Retry-After` header or body field, the larger;
    /// (2) `X-RateLimit-Reset-After` when its remaining is 0 or the status is 429; (3) the IETF
    /// reset: the longest `t` among exhausted items, or on a 429 with none exhausted the `t` of
    /// the item with the fewest requests left; (4) `X-RateLimit-Reset` when its remaining is 0 or
    /// the status is 429; else nil. A syntactically valid wait beyond the cap is clamped to it
    /// (the list clearly wants silence), including digits too many for 64 bits, which saturate.
    package static func parse(
        status: Int,
        headers: [(name: String, value: String)],
        body: [UInt8],
        localNow: Date,
        logger: Logger
    ) -> RateLimitReading {
        let (reading, notes) = read(status: status, headers: headers, body: body, localNow: localNow)
        for note in notes { note.write(to: logger) }
        return reading
    }

    /// What `parse` reads, with what it would log returned as debug lines instead of logged:
    /// for state machines, which decide without I/O.
    package static func read(
        status: Int,
        headers: [(name: String, value: String)],
        body: [UInt8],
        localNow: Date
    ) -> (reading: RateLimitReading, notes: [LogEntry]) {
        let fields = HeaderLines(headers)
        let log = RejectionLog()

        let reference =
            fields.first("date", splitting: false, log: log) { value in
                HTTPDate.parse(value, relativeTo: localNow).map { .success($0) } ?? .failure(.malformed)
            } ?? localNow

        // (1) Retry-After, header and body.
        let headerRetry = fields.first("retry-after", splitting: false, log: log) {
            RetryAfter.evaluate($0, reference: reference)
        }
        // top.gg and Discord put the wait in the body of a 429; a success body may carry an
        // unrelated `expiresIn` (token lifetimes), so other statuses' bodies are not read.
        let bodyRetry =
            status == 429
            ? RateLimitBody.wait(from: body) { log.reject(header: $0 == "body" ? "body" : "body.\($0)", raw: $1, why: $2) }
            : nil
        let retry: Duration? =
            switch (headerRetry, bodyRetry) {
            case let (h?, b?): max(h, b)
            case let (h, b): h ?? b
            }

        // The X-RateLimit-* dialect (Discord, most lists).
        let xLimit = fields.first("x-ratelimit-limit", log: log, DecimalSeconds.count)
        let xRemaining = fields.first("x-ratelimit-remaining", log: log, DecimalSeconds.count)
        let resetAfter = fields.first("x-ratelimit-reset-after", log: log) {
            DecimalSeconds.parseSaturating($0).map(\.asSeconds)
        }
        let xReset = fields.first("x-ratelimit-reset", log: log) { DecimalSeconds.parseSaturating($0).map(ResetValue.init) }
            .map { $0.wait(from: reference) }
        // The IETF dialect: every item of every structured `RateLimit` line, plus the older drafts'
        // split fields as one more item, since a list may send both.
        var ietf = IETFRateLimitFields()
        for line in fields.lines("ratelimit") {
            ietf.addRateLimit(line) { log.reject(header: "ratelimit", raw: "\($0)=\($1)", why: $2) }
        }
        for line in fields.lines("ratelimit-policy") {
            ietf.addPolicy(line) { log.reject(header: "ratelimit-policy", raw: "\($0)=\($1)", why: $2) }
        }
        let split = IETFRateLimitFields.Item(
            limit: fields.first("ratelimit-limit", log: log, DecimalSeconds.count),
            remaining: fields.first("ratelimit-remaining", log: log, DecimalSeconds.count),
            reset: fields.first("ratelimit-reset", log: log) { DecimalSeconds.parseSaturating($0).map(ResetValue.init) })
        if !split.isEmpty { ietf.items.append(split) }
        let resetWait = { (reset: ResetValue) in reset.wait(from: reference) }
        let binding = ietf.binding(resetWait: resetWait)
        let ietfLimit = binding.flatMap { ietf.quota(of: $0) ?? $0.limit } ?? split.limit ?? ietf.policies.first?.quota
        let ietfRemaining = binding?.remaining
        let ietfReset = binding?.reset.map(resetWait)
        let ietfWait = ietf.exhaustedWait(resetWait: resetWait) ?? (status == 429 ? ietfReset : nil)

        let mustWait = { (remaining: Int?) in remaining == 0 || status == 429 }
        let required: Duration? =
            if let retry { retry } else if let resetAfter, mustWait(xRemaining) { resetAfter } else if let ietfWait {
                ietfWait
            } else if let xReset, mustWait(xRemaining) { xReset } else { nil }

        let remaining: Int? =
            switch (xRemaining, ietfRemaining) {
            case let (x?, i?): min(x, i)
            case let (x, i): x ?? i
            }

        let reading = RateLimitReading(
            limit: xLimit ?? ietfLimit,
            remaining: remaining,
            resetIn: (resetAfter ?? ietfReset ?? xReset).map { capped($0, field: "reset", log: log) },
            requiredWait: required.map { capped($0, field: "wait", log: log) }
        )
        return (reading, log.notes)
    }

    private static func capped(_ wait: Duration, field: String, log: RejectionLog) -> Duration {
        guard wait > RateLimitReading.cap else { return wait }
        log.notes.append(
            LogEntry(
                .debug, "Clamping a rate-limit wait to the 6 h cap",
                metadata: ["field": field, "seconds": "\(wait.components.seconds)"]))
        return RateLimitReading.cap
    }
}

/// Debug lines about refused values; only rate-limit fields ever pass through here, so no
/// credential can reach the log, and values are truncated so a hostile list cannot flood it.
///
/// A class so the parsing closures can add to it; it never leaves one call of `read`.
private final class RejectionLog {
    var notes: [LogEntry] = []

    func reject(header: String, raw: String, why: ValueRejection) {
        let shown = raw.count > 64 ? String(raw.prefix(64)) + "…" : raw
        notes.append(
            LogEntry(
                .debug, "Ignoring an unusable rate-limit value",
                metadata: ["header": header, "value": shown, "reason": why.rawValue]))
    }
}

/// The response's header lines grouped by lowercased name, in arrival order.
private struct HeaderLines {
    private var byName: [String: [String]] = [:]

    init(_ headers: [(name: String, value: String)]) {
        for (name, value) in headers {
            byName[name.lowercased(), default: []].append(value)
        }
    }

    func lines(_ name: String) -> [String] {
        byName[name] ?? []
    }

    /// The first value of `name` that `parse` accepts; refusals before it are logged.
    ///
    /// With `splitting`, each line is also split on commas and stripped of `;parameters`, which
    /// reads folded duplicates and the older IETF drafts' `100, 100;w=60` lists alike.
    func first<T>(
        _ name: String,
        splitting: Bool = true,
        log: RejectionLog,
        _ parse: (String) -> Result<T, ValueRejection>
    ) -> T? {
        for line in lines(name) {
            let candidates =
                splitting
                ? line.split(separator: ",", omittingEmptySubsequences: false).map {
                    String($0.prefix { $0 != ";" })
                }
                : [line]
            for candidate in candidates {
                switch parse(candidate) {
                case .success(let value): return value
                case .failure(let why): log.reject(header: name, raw: candidate, why: why)
                }
            }
        }
        return nil
    }
}
