import BotStatsProtocol

/// The four kinds of TOML string. Strings are kept whole: an escaped NUL (`\u0000`) stays in the
/// value, so the loader can refuse it instead of silently cutting a token short at it.
extension TOMLParser {
    /// `"…"`: one line, backslash escapes.
    mutating func basicString() throws(TOMLSyntaxError) -> String {
        let start = position
        index += 1
        var result: [UInt8] = []
        while true {
            guard let byte = peek(), !isNewline(byte) else {
                throw TOMLSyntaxError(position: start, message: "the string opened here is missing its closing '\"' on the same line")
            }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &result)
            default:
                if Self.isForbiddenControl(byte) { throw error("a string may not hold control characters; write them as escapes like \\t") }
                result.append(byte)
                index += 1
            }
        }
    }

    /// `"""…"""`: several lines, backslash escapes, a backslash at a line's end joins lines.
    mutating func multiLineBasicString() throws(TOMLSyntaxError) -> String {
        let start = position
        index += 3
        if isNewline(peek()) { try consumeNewline() }
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw TOMLSyntaxError(position: start, message: "the multi-line string opened here is missing its closing '\"\"\"'")
            }
            switch byte {
            case UInt8(ascii: "\""):
                if try closesMultiLine(quote: byte, into: &result) { return String(decoding: result, as: UTF8.self) }
            case UInt8(ascii: "\\"):
                if lineEndingBackslash() {
                    try skipWhitespaceAndNewlines()
                } else {
                    try escape(into: &result)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
                result.append(UInt8(ascii: "\n"))
            default:
                if Self.isForbiddenControl(byte) { throw error("a string may not hold control characters; write them as escapes like \\t") }
                result.append(byte)
                index += 1
            }
        }
    }

    /// `'…'`: one line, taken as written.
    mutating func literalString() throws(TOMLSyntaxError) -> String {
        let start = position
        index += 1
        let begin = index
        while true {
            guard let byte = peek(), !isNewline(byte) else {
                throw TOMLSyntaxError(position: start, message: "the string opened here is missing its closing \"'\" on the same line")
            }
            if byte == UInt8(ascii: "'") {
                let text = String(decoding: bytes[begin..<index], as: UTF8.self)
                index += 1
                return text
            }
            if Self.isForbiddenControl(byte) { throw error("a string may not hold control characters") }
            index += 1
        }
    }

    /// `'''…'''`: several lines, taken as written.
    mutating func multiLineLiteralString() throws(TOMLSyntaxError) -> String {
        let start = position
        index += 3
        if isNewline(peek()) { try consumeNewline() }
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw TOMLSyntaxError(position: start, message: "the multi-line string opened here is missing its closing \"'''\"")
            }
            switch byte {
            case UInt8(ascii: "'"):
                if try closesMultiLine(quote: byte, into: &result) { return String(decoding: result, as: UTF8.self) }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
                result.append(UInt8(ascii: "\n"))
            default:
                if Self.isForbiddenControl(byte) { throw error("a string may not hold control characters") }
                result.append(byte)
                index += 1
            }
        }
    }

    /// At a run of quotes inside a multi-line string: three end it, and up to two more before
    /// those three belong to the string (`""""x""""`); fewer than three are content.
    private mutating func closesMultiLine(quote: UInt8, into result: inout [UInt8]) throws(TOMLSyntaxError) -> Bool {
        var count = 0
        while peek(count) == quote { count += 1 }
        if count < 3 {
            result.append(contentsOf: repeatElement(quote, count: count))
            index += count
            return false
        }
        guard count <= 5 else { throw error("too many quotes in a row: a multi-line string ends at the third") }
        result.append(contentsOf: repeatElement(quote, count: count - 3))
        index += count
        return true
    }

    /// Whether the backslash here is the last thing on its line (trailing whitespace allowed).
    private func lineEndingBackslash() -> Bool {
        var offset = 1
        while let byte = peek(offset), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { offset += 1 }
        return isNewline(peek(offset))
    }

    private mutating func skipWhitespaceAndNewlines() throws(TOMLSyntaxError) {
        index += 1
        while true {
            skipWhitespace()
            guard isNewline(peek()) else { return }
            try consumeNewline()
        }
    }

    /// A backslash escape in a basic string: `\b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX`.
    private mutating func escape(into result: inout [UInt8]) throws(TOMLSyntaxError) {
        let start = position
        index += 1
        guard let letter = peek() else { throw TOMLSyntaxError(position: start, message: "a string ends in the middle of an escape") }
        index += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "t"): 0x09, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C,
        ]
        if let byte = simple[letter] {
            result.append(byte)
            return
        }
        let digits: Int
        switch letter {
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default:
            throw TOMLSyntaxError(
                position: start,
                message:
                    "unknown escape in a string; the escapes are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX and \\UXXXXXXXX (for a backslash as written, use 'single quotes')"
            )
        }
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = peek(), let digit = Self.hexValue(byte) else {
                throw TOMLSyntaxError(position: start, message: "\\u needs 4 and \\U needs 8 hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw TOMLSyntaxError(position: start, message: "the escape is not a Unicode scalar value (surrogates and values above 10FFFF are not)")
        }
        result.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
