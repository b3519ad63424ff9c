import BotStatsProtocol

/// Replaces secrets in text that is about to reach a person: logs, status, errors.
///
/// A last line of defence: code should never interpolate a token in the first place, but a list
/// that echoes our Authorization header back in an error body must not leak it either, in any of
/// the forms it may come back in: as sent; escaped as JSON or as Swift's `String` description
/// escapes it (`\"`, `\\`, `\r\n`, `\u0041`); percent-encoded; and those nested (`DecodedText`).
/// `redact(_:partialEdges:)` also catches what is left of a token cut short: a prefix of it at
/// the very end of the text (a list or a lower layer truncated it) and a suffix at the very start.
package struct Redactor: Sendable {
    /// The marker a secret is replaced by.
    package static let marker = "[redacted]"
    /// Decoding layers tried beyond the text as it is: enough for an escaped JSON inside an error.
    static let decodingLayers = 3
    /// A cut-off piece of a secret shorter than this is left alone: it gives nothing away, and
    /// matching shorter pieces would redact ordinary words.
    package static let minimumPartialLength = 4

    /// The secrets' UTF-8 bytes, longest first.
    private let secrets: [[UInt8]]
    /// Indices into `secrets` by their first four bytes: every log line is redacted, and a daemon
    /// with a thousand bots has thousands of tokens, so a position is compared only with the
    /// secrets that can start there.
    private let secretsByPrefix: [UInt32: [Int]]

    /// Secrets shorter than 4 bytes are ignored: replacing them would mangle ordinary text
    /// and they are not secret enough to matter.
    package init(secrets: [Secret]) {
        var seen = Set<String>()
        // Longest first, so that of two secrets starting at one place the longer one is replaced.
        self.secrets = secrets.map(\.revealed).filter { $0.utf8.count >= 4 && seen.insert($0).inserted }
            .sorted { $0.utf8.count > $1.utf8.count }.map { Array($0.utf8) }
        var index: [UInt32: [Int]] = [:]
        for (offset, secret) in self.secrets.enumerated() {
            index[Self.prefixKey(secret[...]), default: []].append(offset)
        }
        self.secretsByPrefix = index
    }

    private static func prefixKey(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        let start = bytes.startIndex
        return UInt32(bytes[start]) << 24 | UInt32(bytes[start + 1]) << 16 | UInt32(bytes[start + 2]) << 8
            | UInt32(bytes[start + 3])
    }

    /// `text` with every secret, in every form it may be encoded in, replaced by `[redacted]`.
    package func redact(_ text: String) -> String {
        redact(text, partialEdges: false)
    }

    /// `text` with every secret replaced by `[redacted]`; with `partialEdges`, also a piece of a
    /// secret (at least `minimumPartialLength` bytes) that ends the text or starts it, which is
    /// what truncation leaves of a token.
    package func redact(_ text: String, partialEdges: Bool) -> String {
        guard !secrets.isEmpty, !text.isEmpty else { return text }
        let original = Array(text.utf8)
        var ranges: [Range<Int>] = []
        var layer = DecodedText(original: original)
        for depth in 0...Self.decodingLayers {
            if depth > 0 {
                guard layer.mayBeEncoded else { break }
                layer = layer.decoded()
            }
            collectMatches(in: layer, partialEdges: partialEdges, originalCount: original.count, into: &ranges)
        }
        guard !ranges.isEmpty else { return text }
        return Self.replacing(ranges, in: original)
    }

    private func collectMatches(in layer: DecodedText, partialEdges: Bool, originalCount: Int, into ranges: inout [Range<Int>]) {
        let bytes = layer.bytes
        if bytes.count >= 4 {
            // A rolling key of the four bytes at `start`.
            var key = UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2])
            for start in 0...(bytes.count - 4) {
                key = key << 8 | UInt32(bytes[start + 3])
                guard let candidates = secretsByPrefix[key] else { continue }
                for candidate in candidates {
                    let secret = secrets[candidate]
                    let end = start + secret.count
                    if end <= bytes.count, bytes[start..<end].elementsEqual(secret) {
                        ranges.append(layer.originalRange(of: start..<end))
                        break
                    }
                }
            }
        }
        guard partialEdges else { return }
        for secret in secrets where secret.count > Self.minimumPartialLength {
            // The longest piece first; one is enough at each edge.
            for length in stride(from: min(secret.count - 1, bytes.count), through: Self.minimumPartialLength, by: -1)
            where bytes[(bytes.count - length)...].elementsEqual(secret[..<length]) {
                let found = layer.originalRange(of: (bytes.count - length)..<bytes.count)
                // A cut escape after the piece is part of the cut token: redact to the end.
                let end = layer.cutEscapeStart == nil ? found.upperBound : originalCount
                ranges.append(found.lowerBound..<end)
                break
            }
            for length in stride(from: min(secret.count - 1, bytes.count), through: Self.minimumPartialLength, by: -1)
            where bytes[..<length].elementsEqual(secret[(secret.count - length)...]) {
                ranges.append(layer.originalRange(of: 0..<length))
                break
            }
        }
    }

    /// `original` with each of `ranges` (merged where they touch or overlap) replaced by the marker.
    private static func replacing(_ ranges: [Range<Int>], in original: [UInt8]) -> String {
        var merged: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        var result: [UInt8] = []
        result.reserveCapacity(original.count)
        var position = 0
        for range in merged {
            result.append(contentsOf: original[position..<range.lowerBound])
            result.append(contentsOf: marker.utf8)
            position = range.upperBound
        }
        result.append(contentsOf: original[position...])
        // A match decoded from escapes can start or end inside a multi-byte character of the
        // original only if the secret itself is not valid text; decoding repairs that case.
        return String(decoding: result, as: UTF8.self)
    }
}
