/// A hand-made instant: a duration since an arbitrary origin, so tests write `.at(30)`.
struct TestInstant: InstantProtocol, CustomStringConvertible {
    var offset: Duration

    static func at(_ seconds: Double) -> TestInstant { TestInstant(offset: .seconds(seconds)) }

    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
    var description: String { "t+\(offset)" }
}
