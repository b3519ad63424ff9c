/// A target's state as shown in status (SPEC §7).
package enum TargetState: String, Sendable, Codable, Equatable, CaseIterable {
    case ok
    case pending
    case retrying
    case rateLimited = "rate_limited"
    case circuitOpen = "circuit_open"
    case unauthorized
    case rejected
    case disabled
}
