import FoundationEssentials
import BotStatsProtocol

/// Why a rate-limit value was thrown away; the raw value goes into debug logs so an
/// operator can tell a list's bug from ours.
enum ValueRejection: String, Error, Sendable, Equatable {
    /// Not a number (or date) at all: `abc`, `1e3`, `+5`, empty.
    case malformed
    /// A wait or count below zero cannot mean anything.
    case negative
    /// NaN or infinity (only reachable through JSON or a date difference).
    case notFinite
    /// Does not fit 64 bits. Refused for counts; a wait or a moment saturates instead
    /// (``DecimalSeconds/parseSaturating(_:)``), since `1*DIGIT` has no upper bound.
    case overflow
}

/// A non-negative decimal number as lists send it (`120`, `1.5`, `1700000000.25`), kept
/// exact to the nanosecond so `0.1` means 100 ms and not 100.000000000000005 ms.
///
/// Parsed from the text rather than through `Double` because `Double(_:)` takes `nan`,
/// `inf`, exponents and hex floats, none of which a header should carry.
struct DecimalSeconds: Sendable, Equatable {
    /// The integral part.
    var whole: Int64
    /// The fraction in nanoseconds, `0..<1_000_000_000`; digits past the ninth are dropped.
    var nanos: Int64

    /// The largest value: what a valid wait too long for any clock saturates to. Every caller caps
    /// waits at ``RateLimitReading/cap``, so this only ever means "as long as allowed".
    static let saturated = DecimalSeconds(whole: .max, nanos: 0)

    /// `digits [ "." digits ]` (either side may be empty, not both), surrounding spaces allowed.
    ///
    /// An integral part that overflows `Int64` is `.overflow`: a count that large is meaningless.
    /// Waits and moments use ``parseSaturating(_:)`` instead.
    static func parse<S: StringProtocol>(_ text: S) -> Result<DecimalSeconds, ValueRejection> {
        let trimmed = text.trimmingSpaces()
        var bytes = Substring(trimmed).utf8[...]
        guard let first = bytes.first else { return .failure(.malformed) }
        if first == UInt8(ascii: "-") {
            bytes = bytes.dropFirst()
            // `-0` is still a sign on a value that must not have one, and a negative number too large
            // for 64 bits is negative before it is large: it must never saturate into a long wait.
            if case .failure(.malformed) = parseUnsigned(bytes) { return .failure(.malformed) }
            return .failure(.negative)
        }
        return parseUnsigned(bytes)
    }

    /// ``parse(_:)`` for a wait or a moment (`Retry-After`, resets, `t=`): digits too many for 64
    /// bits are still a valid `delay-seconds` (RFC 9110 puts no bound on `1*DIGIT`), the list asking
    /// for the longest silence it can, so they saturate to ``saturated`` instead of being refused.
    /// Signs, letters and the like are refused exactly as ``parse(_:)`` refuses them.
    static func parseSaturating<S: StringProtocol>(_ text: S) -> Result<DecimalSeconds, ValueRejection> {
        parse(text).saturatingOverflow
    }

    private static func parseUnsigned(_ bytes: Substring.UTF8View.SubSequence) -> Result<DecimalSeconds, ValueRejection> {
        var whole: Int64 = 0
        var nanos: Int64 = 0
        var fractionDigits = 0
        var sawDigit = false
        var sawDot = false
        var overflowed = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard !sawDot else { return .failure(.malformed) }
                sawDot = true
                continue
            }
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return .failure(.malformed) }
            sawDigit = true
            let digit = Int64(b - UInt8(ascii: "0"))
            if sawDot {
                if fractionDigits < 9 {
                    nanos = nanos * 10 + digit
                    fractionDigits += 1
                }
            } else if !overflowed {
                let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                if o1 || o2 { overflowed = true } else { whole = sum }
            }
        }
        guard sawDigit else { return .failure(.malformed) }
        // Checked after the whole string so `1x` is malformed, not overflow.
        if overflowed { return .failure(.overflow) }
        for _ in fractionDigits..<9 { nanos *= 10 }
        return .success(DecimalSeconds(whole: whole, nanos: nanos))
    }

    /// A count (`X-RateLimit-Remaining`, `r=`): a whole number; `5.0` is tolerated, `5.5` is not.
    static func count<S: StringProtocol>(_ text: S) -> Result<Int, ValueRejection> {
        parse(text).flatMap { value in
            guard value.nanos == 0 else { return .failure(.malformed) }
            guard let n = Int(exactly: value.whole) else { return .failure(.overflow) }
            return .success(n)
        }
    }

    /// A JSON number as a wait: like ``from(_:)``, but a finite number too large for 64 bits
    /// saturates (see ``parseSaturating(_:)``). NaN, infinities and negatives are still refused.
    static func fromSaturating(_ value: Double) -> Result<DecimalSeconds, ValueRejection> {
        from(value).saturatingOverflow
    }

    /// A JSON number, rounded to the nanosecond.
    static func from(_ value: Double) -> Result<DecimalSeconds, ValueRejection> {
        guard value.isFinite else { return .failure(.notFinite) }
        guard value >= 0 else { return .failure(.negative) }
        // 2^63 is exactly representable; anything at or above it does not fit Int64.
        guard value < 9_223_372_036_854_775_808.0 else { return .failure(.overflow) }
        let floor = value.rounded(.down)
        var whole = Int64(floor)
        var nanos = Int64(((value - floor) * 1e9).rounded())
        if nanos >= 1_000_000_000 {
            nanos -= 1_000_000_000
            // Cannot overflow: a Double this close to 2^63 has no fractional part.
            whole += 1
        }
        return .success(DecimalSeconds(whole: whole, nanos: nanos))
    }

    /// The value read as seconds.
    var asSeconds: Duration {
        .seconds(whole) + .nanoseconds(nanos)
    }

    /// The value read as milliseconds (`expiresIn`, epoch-millisecond resets).
    var asMilliseconds: Duration {
        .seconds(whole / 1000) + .nanoseconds((whole % 1000) * 1_000_000 + nanos / 1000)
    }
}

extension Result<DecimalSeconds, ValueRejection> {
    /// `.overflow` turned into ``DecimalSeconds/saturated``; everything else unchanged.
    var saturatingOverflow: Self {
        if case .failure(.overflow) = self { return .success(.saturated) }
        return self
    }
}

extension DecimalSeconds {
    /// `date - reference` as a wait: never negative, since a moment already past asks for no wait.
    static func wait(until date: Date, from reference: Date) -> Result<Duration, ValueRejection> {
        let interval = date.timeIntervalSince(reference)
        guard interval.isFinite else { return .failure(.notFinite) }
        if interval <= 0 { return .success(.zero) }
        return from(interval).map(\.asSeconds)
    }

    /// `reference` as a duration since 1970, for subtracting an exact epoch from it.
    static func sinceEpoch(_ reference: Date) -> Duration {
        // A clock before 1970 or absurdly far ahead would be a broken host; reading it as 1970
        // keeps the arithmetic finite, and the wait errs long (then capped) rather than trapping.
        guard case .success(let exact) = from(reference.timeIntervalSince1970) else { return .zero }
        return exact.asSeconds
    }
}
