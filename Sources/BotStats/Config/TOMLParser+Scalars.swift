import BotStatsProtocol

/// Booleans, numbers, dates and times: every value that is written without quotes or brackets.
extension TOMLParser {
    /// A word that is not quoted: `true`, `false`, an integer, a float, a date or a time.
    mutating func scalar() throws(TOMLSyntaxError) -> TOMLNode {
        let start = position
        let begin = index
        while let byte = peek(), Self.isScalarByte(byte) { index += 1 }
        // "1979-05-27 07:32:00": a date and a time may be separated by a space.
        if index - begin == 10, peek() == UInt8(ascii: " "), let h1 = peek(1), let h2 = peek(2), peek(3) == UInt8(ascii: ":"),
            Self.isDigit(h1), Self.isDigit(h2), Self.looksLikeDate(bytes[begin..<index])
        {
            index += 1
            while let byte = peek(), Self.isScalarByte(byte) { index += 1 }
        }
        let word = bytes[begin..<index]
        guard !word.isEmpty else {
            throw TOMLSyntaxError(
                position: start,
                message: "expected a value: text in \"quotes\", a number, true or false, [an, array] or { an = inline table }")
        }
        let text = String(decoding: word, as: UTF8.self)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if let first = word.first, !(Self.isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")) {
            // The word is not quoted back: it may be a token pasted without quotes.
            guard first == UInt8(ascii: ".") else {
                throw TOMLSyntaxError(
                    position: start, message: "text must be in quotes (\"…\"); a value without quotes is a number, true or false")
            }
            throw TOMLSyntaxError(position: start, message: "not a valid number (write 0.5, not .5)")
        }
        if Self.looksLikeDate(word) || (word.count >= 3 && word[word.startIndex + 2] == UInt8(ascii: ":")) {
            guard Self.isDateTime(text) else {
                throw TOMLSyntaxError(
                    position: start,
                    message: "not a valid date or time (RFC 3339, e.g. 1979-05-27T07:32:00Z; a time needs seconds)")
            }
            return .dateTime(text)
        }
        return try number(text, at: start)
    }

    private mutating func number(_ text: String, at start: TOMLPosition) throws(TOMLSyntaxError) -> TOMLNode {
        let invalid = TOMLSyntaxError(
            position: start, message: "not a valid number (text, such as a duration, goes in quotes: \"…\")")
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            let digits = text.dropFirst(2)
            let allDigits = digits.allSatisfy { character in
                character == "_" || (character.hexDigitValue.map { value in value < radix } ?? false)
            }
            // Int64(_:radix:) would also take a sign ("0x-1"), which TOML does not.
            guard allDigits, Self.hasValidUnderscores(digits) else { throw invalid }
            guard let value = Int64(digits.filter { $0 != "_" }, radix: radix) else { throw tooLarge(at: start) }
            return .integer(value)
        }
        var body = Substring(text)
        if body.first == "+" || body.first == "-" { body = body.dropFirst() }
        let isFloat = body.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
        if !isFloat {
            guard Self.hasValidUnderscores(body), body.allSatisfy({ $0 == "_" || $0.isASCII && $0.isNumber }) else { throw invalid }
            if body.count > 1 && body.first == "0" {
                throw TOMLSyntaxError(position: start, message: "a decimal number may not start with 0 (quote it if it is an id: \"…\")")
            }
            guard let value = Int64(text.filter { $0 != "_" }) else { throw tooLarge(at: start) }
            return .integer(value)
        }
        // Float: integer part, then a fraction and/or an exponent, each with digits on both sides of any '_'.
        let exponentSplit = body.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false).flatMap {
            $0.split(separator: "E", maxSplits: 1, omittingEmptySubsequences: false)
        }
        guard exponentSplit.count <= 2 else { throw invalid }
        let mantissa = exponentSplit[0]
        let mantissaParts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = mantissaParts[0]
        guard Self.isDecimalDigits(integerPart), !(integerPart.count > 1 && integerPart.first == "0") else { throw invalid }
        if mantissaParts.count == 2 { guard Self.isDecimalDigits(mantissaParts[1]) else { throw invalid } }
        if exponentSplit.count == 2 {
            var exponent = exponentSplit[1]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard Self.isDecimalDigits(exponent) else { throw invalid }
        }
        guard let value = Double(text.filter { $0 != "_" }) else { throw invalid }
        return .float(value)
    }

    private func tooLarge(at start: TOMLPosition) -> TOMLSyntaxError {
        TOMLSyntaxError(
            position: start, message: "the number is too large for a 64-bit integer; if it is an id, quote it: \"…\"")
    }

    /// Digits with single underscores between them: `1_000`, not `_1`, `1_` or `1__0`.
    private static func hasValidUnderscores(_ text: Substring) -> Bool {
        !text.isEmpty && text.first != "_" && text.last != "_" && !text.contains("__")
    }

    private static func isDecimalDigits(_ text: Substring) -> Bool {
        hasValidUnderscores(text) && text.allSatisfy { $0 == "_" || ($0.isASCII && $0.isNumber) }
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isScalarByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    private static func looksLikeDate(_ word: ArraySlice<UInt8>) -> Bool {
        word.count >= 10 && word[word.startIndex + 4] == UInt8(ascii: "-") && word[word.startIndex + 7] == UInt8(ascii: "-")
            && word.prefix(4).allSatisfy(isDigit)
    }

    // MARK: - Dates and times (RFC 3339 as TOML 1.0 allows it)

    /// Whether `text` is an offset or local date-time, a local date or a local time.
    static func isDateTime(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if bytes.count >= 3, bytes[2] == UInt8(ascii: ":") { return isTime(bytes[...]) }
        guard bytes.count >= 10, isDate(bytes[0..<10]) else { return false }
        if bytes.count == 10 { return true }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]) else { return false }
        var rest = bytes[11...]
        // An offset: Z, or +HH:MM / -HH:MM at the end.
        if let last = rest.last, last == UInt8(ascii: "Z") || last == UInt8(ascii: "z") {
            rest = rest.dropLast()
        } else if rest.count >= 6, [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(rest[rest.endIndex - 6]) {
            let offset = rest.suffix(5)
            guard let hours = number(offset.prefix(2)), offset[offset.startIndex + 2] == UInt8(ascii: ":"),
                let minutes = number(offset.suffix(2)), hours <= 23, minutes <= 59
            else { return false }
            rest = rest.dropLast(6)
        }
        return isTime(rest)
    }

    /// `HH:MM:SS` with an optional fraction of a second.
    private static func isTime(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count >= 8 else { return false }
        let start = bytes.startIndex
        guard let hours = number(bytes[start..<(start + 2)]), bytes[start + 2] == UInt8(ascii: ":"),
            let minutes = number(bytes[(start + 3)..<(start + 5)]), bytes[start + 5] == UInt8(ascii: ":"),
            let seconds = number(bytes[(start + 6)..<(start + 8)]),
            hours <= 23, minutes <= 59, seconds <= 60
        else { return false }
        let fraction = bytes[(start + 8)...]
        if fraction.isEmpty { return true }
        return fraction.first == UInt8(ascii: ".") && fraction.count > 1 && fraction.dropFirst().allSatisfy(isDigit)
    }

    /// `YYYY-MM-DD`, a day that exists in its month.
    private static func isDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.startIndex
        guard let year = number(bytes[start..<(start + 4)]), bytes[start + 4] == UInt8(ascii: "-"),
            let month = number(bytes[(start + 5)..<(start + 7)]), bytes[start + 7] == UInt8(ascii: "-"),
            let day = number(bytes[(start + 8)..<(start + 10)]), (1...12).contains(month)
        else { return false }
        let isLeap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }
}
