import BotStatsProtocol

/// Text with one layer of escaping undone, each byte remembering where in the original it came from.
///
/// A token rarely comes back from a list or an HTTP client byte for byte: a JSON body escapes
/// `"` and `\` and may write any character as `\u0041`, Swift's `String` description escapes
/// `\r`, `\n`, `\t`, `"` and `\`, a URL or form percent-encodes, and errors wrap errors, so these
/// nest. `Redactor` looks for its secrets in the original and in up to three decoded layers, and
/// redacts the original bytes a match came from.
struct DecodedText {
    /// The decoded bytes.
    private(set) var bytes: [UInt8]
    /// For each decoded byte, the bytes of the original text it was decoded from; nil for the
    /// original itself, where each byte is its own origin (every log line is redacted, and most
    /// never need a decoded layer).
    private var origins: [Range<Int>]?
    /// Bytes at the end of the original that start an escape but are cut off before it ends
    /// (`%4`, `\u00`), as text truncated in the middle of one is; they decode to nothing.
    private(set) var cutEscapeStart: Int?

    /// The original text itself: every byte is its own origin.
    init(original bytes: [UInt8]) {
        self.bytes = bytes
        self.origins = nil
        self.cutEscapeStart = nil
    }

    private init(bytes: [UInt8], origins: [Range<Int>], cutEscapeStart: Int?) {
        self.bytes = bytes
        self.origins = origins
        self.cutEscapeStart = cutEscapeStart
    }

    /// Whether the text holds anything `decoded()` would change: a backslash, or a `%` that
    /// starts an escape or may be one cut short at the end.
    var mayBeEncoded: Bool {
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\\") { return true }
            if byte == UInt8(ascii: "%"), index + 2 >= bytes.count || (hex(index + 1) != nil && hex(index + 2) != nil) {
                return true
            }
        }
        return false
    }

    /// The original range of decoded bytes `range`.
    func originalRange(of range: Range<Int>) -> Range<Int> {
        origin(of: range.lowerBound).lowerBound..<origin(of: range.upperBound - 1).upperBound
    }

    private func origin(of index: Int) -> Range<Int> {
        origins?[index] ?? index..<(index + 1)
    }

    /// One layer of escapes undone: `%HH`, `\uXXXX`, `\u{X…}`, `\t \n \r \0`, and a backslash
    /// before any other character standing for that character.
    func decoded() -> DecodedText {
        var output: [UInt8] = []
        var origins: [Range<Int>] = []
        output.reserveCapacity(bytes.count)
        origins.reserveCapacity(bytes.count)
        var index = 0
        var cutStart: Int?
        while index < bytes.count {
            let (produced, length, isCut) = unit(at: index)
            if isCut {
                cutStart = origin(of: index).lowerBound
                break
            }
            let origin = originalRange(of: index..<(index + length))
            output.append(contentsOf: produced)
            origins.append(contentsOf: repeatElement(origin, count: produced.count))
            index += length
        }
        return DecodedText(bytes: output, origins: origins, cutEscapeStart: cutStart ?? cutEscapeStart)
    }

    /// The bytes one escape at `index` stands for and its length, or the byte itself; `isCut` when
    /// the text ends inside an escape.
    private func unit(at index: Int) -> (bytes: [UInt8], length: Int, isCut: Bool) {
        let byte = bytes[index]
        let remaining = bytes.count - index
        if byte == UInt8(ascii: "%") {
            if let high = hex(index + 1), let low = hex(index + 2) { return ([high << 4 | low], 3, false) }
            let isCut = remaining <= 2 && bytes[(index + 1)...].allSatisfy { hex(byte: $0) != nil }
            return ([byte], 1, isCut)
        }
        guard byte == UInt8(ascii: "\\") else { return ([byte], 1, false) }
        guard remaining >= 2 else { return ([], 1, true) }
        let letter = bytes[index + 1]
        switch letter {
        case UInt8(ascii: "t"): return ([0x09], 2, false)
        case UInt8(ascii: "n"): return ([0x0A], 2, false)
        case UInt8(ascii: "r"): return ([0x0D], 2, false)
        case UInt8(ascii: "0"): return ([0x00], 2, false)
        case UInt8(ascii: "u"):
            if index + 2 < bytes.count, bytes[index + 2] == UInt8(ascii: "{") {
                var end = index + 3
                var value: UInt32 = 0
                while end < bytes.count, end - index - 3 < 8, let digit = hex(end) {
                    value = value << 4 | UInt32(digit)
                    end += 1
                }
                if end < bytes.count, bytes[end] == UInt8(ascii: "}"), end > index + 3, let scalar = Unicode.Scalar(value) {
                    return (Array(String(Character(scalar)).utf8), end + 1 - index, false)
                }
                return ([letter], 2, end == bytes.count)
            }
            var value: UInt32 = 0
            for offset in 2..<6 {
                guard let digit = hex(index + offset) else {
                    return ([letter], 2, index + offset == bytes.count)
                }
                value = value << 4 | UInt32(digit)
            }
            guard let scalar = Unicode.Scalar(value) else { return ([letter], 2, false) }
            return (Array(String(Character(scalar)).utf8), 6, false)
        default:
            return ([letter], 2, false)
        }
    }

    private func hex(_ index: Int) -> UInt8? {
        index < bytes.count ? hex(byte: bytes[index]) : nil
    }

    private func hex(byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
