/// A word of the control protocol's vocabulary (an outcome, an error code) kept as received: a
/// struct of static members rather than an enum, so a word a newer daemon sends survives
/// decoding and the set can grow without breaking clients. Conformers store the word and get
/// their coding and description here.
package protocol WireWord: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The word on the wire, e.g. `delivered`.
    var rawValue: String { get }
    /// The word as received, known to this build or not.
    init(wire: String)
}

extension WireWord {
    package init(from decoder: any Decoder) throws {
        self.init(wire: try decoder.singleValueContainer().decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    package var description: String { rawValue }
}
