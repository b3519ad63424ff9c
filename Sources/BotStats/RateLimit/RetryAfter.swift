import FoundationEssentials
import BotStatsProtocol

/// The `Retry-After` field of RFC 9110 §10.2.3, plus the fractional seconds some lists send.
package enum RetryAfter {
    /// The wait a `Retry-After` value asks for, or nil when it cannot be read.
    ///
    /// Accepts delta-seconds (`120`), fractional seconds (`1.5`) and any HTTP-date form,
    /// which is measured from `reference` (pass the response's `Date` when it had one, so a
    /// skewed local clock does not stretch or shrink the wait). A date already past and `0`
    /// are both `.zero`: the list answered, and its answer is "no wait". Negative, NaN,
    /// infinite, empty and unreadable values are nil. A number of seconds too large for 64 bits is
    /// valid `delay-seconds` and saturates to `.seconds(Int64.max)`. The result is not capped;
    /// ``RateLimitParser`` applies ``RateLimitReading/cap``.
    package static func parse(_ value: String, reference: Date) -> Duration? {
        try? evaluate(value, reference: reference).get()
    }

    /// Like ``parse(_:reference:)``, saying why a value was refused so the caller can log it.
    static func evaluate(_ value: String, reference: Date) -> Result<Duration, ValueRejection> {
        let number = DecimalSeconds.parseSaturating(value)
        switch number {
        case .success(let seconds):
            return .success(seconds.asSeconds)
        case .failure(.malformed):
            // Only a value that is not a number at all may be a date; `-5` stays negative.
            guard let date = HTTPDate.parse(value.trimmingSpaces(), relativeTo: reference) else {
                return .failure(.malformed)
            }
            return DecimalSeconds.wait(until: date, from: reference)
        case .failure(let rejection):
            return .failure(rejection)
        }
    }
}
