import BotStatsProtocol

/// Parses TOML 1.0 into `TOMLTableNode`s that remember the line and column of every key.
///
/// The configuration used to be parsed with TOMLKit, a wrapper of the C++ toml++ that never frees
/// what it parses (every reload leaked the whole document, ~5 KiB per bot), truncates strings at
/// an escaped NUL, reports lines only for syntax errors and words them in toml++'s terms. This
/// parser is pure Swift: everything it makes is freed like any Swift value, every string is kept
/// whole, and every error is a line, a column and a plain sentence that never quotes a value.
///
/// It follows TOML 1.0.0 (https://toml.io/en/v1.0.0): bare, quoted and dotted keys; the four
/// kinds of string; decimal, hexadecimal, octal and binary integers; floats with `inf` and `nan`;
/// booleans; offset and local date-times, dates and times; arrays; inline tables; tables and
/// arrays of tables, with the rules on defining a table twice. Nesting is capped at
/// `maximumDepth` so that a hostile file cannot exhaust the stack.
struct TOMLParser {
    /// Arrays and inline tables nested deeper than this are refused.
    static let maximumDepth = 64

    let bytes: [UInt8]
    var index = 0
    var line = 1
    var lineStart = 0
    var depth = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The document in `text`, or the first syntax error in it.
    static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLTableNode {
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    // MARK: - Document, headers, key/value pairs

    private mutating func document() throws(TOMLSyntaxError) -> TOMLTableNode {
        // A UTF-8 byte order mark is not part of the document.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        let root = TOMLTableBuilder(origin: .root, position: nil)
        var current = root
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"): try skipComment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): try consumeNewline()
            case UInt8(ascii: "["):
                current = try header(root: root)
                try endOfLine(after: "the table header")
            default:
                try keyValue(into: current)
                try endOfLine(after: "the value")
            }
        }
        return root.build()
    }

    /// `[a.b]` or `[[a.b]]`: the table that the following key/value pairs go into.
    private mutating func header(root: TOMLTableBuilder) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let start = position
        index += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { index += 1 }
        let keys = try key()
        skipWhitespace()
        let closing = isArray ? "]]" : "]"
        for _ in 0..<(isArray ? 2 : 1) {
            guard peek() == UInt8(ascii: "]") else {
                throw error("the table header is missing its closing '\(closing)'")
            }
            index += 1
        }
        var table = root
        var path = ""
        for (offset, part) in keys.enumerated() {
            path += path.isEmpty ? quotedIfNeeded(part.name) : "." + quotedIfNeeded(part.name)
            let isLast = offset == keys.count - 1
            table = try headerChild(
                of: table, key: part.name, path: path, at: start, isLast: isLast, isArray: isArray && isLast)
        }
        return table
    }

    private func headerChild(
        of table: TOMLTableBuilder, key: String, path: String, at start: TOMLPosition, isLast: Bool, isArray: Bool
    ) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        let existing = table.slots[key]
        let firstLine = table.keyPositions[key]?.line ?? start.line
        if isArray {
            switch existing {
            case nil:
                let array = TOMLTableArrayBuilder(position: start)
                let element = TOMLTableBuilder(origin: .arrayElement, position: start)
                array.append(element)
                table.insert(.tableArray(array), for: key, at: start)
                return element
            case .tableArray(let array):
                let element = TOMLTableBuilder(origin: .arrayElement, position: start)
                array.append(element)
                return element
            default:
                throw TOMLSyntaxError(
                    position: start,
                    message: "[[\(path)]] adds to an array of tables, but \(path) is already defined on line \(firstLine) as something else")
            }
        }
        switch existing {
        case nil:
            let child = TOMLTableBuilder(origin: isLast ? .header : .implicit, position: start)
            table.insert(.table(child), for: key, at: start)
            return child
        case .table(let child):
            guard isLast else { return child }
            switch child.origin {
            case .implicit:
                child.origin = .header
                return child
            case .dotted:
                throw TOMLSyntaxError(
                    position: start, message: "table [\(path)] is already defined by dotted keys on line \(firstLine)")
            default:
                throw TOMLSyntaxError(
                    position: start, message: "table [\(path)] is defined twice (first on line \(firstLine))")
            }
        case .tableArray(let array):
            // An array of tables always holds at least the table its first [[header]] made.
            if !isLast { return array.tables[array.tables.count - 1] }
            throw TOMLSyntaxError(
                position: start, message: "[\(path)] is an array of tables ([[\(path)]]) on line \(array.position.line)")
        case .value(.table):
            throw TOMLSyntaxError(
                position: start,
                message: "\(path) is an inline table on line \(firstLine); an inline table cannot be extended")
        case .value:
            throw TOMLSyntaxError(
                position: start, message: "\(path) already holds a value (line \(firstLine)), so it cannot be a table")
        }
    }

    /// `key = value`, where the key may be dotted.
    mutating func keyValue(into table: TOMLTableBuilder) throws(TOMLSyntaxError) {
        let keys = try key()
        skipWhitespace()
        guard peek() == UInt8(ascii: "=") else {
            if peek() == nil || isNewline(peek()) {
                throw error("expected '=' and a value after the key")
            }
            throw error("expected '=' after the key (a key with spaces or other characters must be quoted)")
        }
        index += 1
        skipWhitespace()
        let value = try value()
        var target = table
        var path = ""
        for part in keys.dropLast() {
            path += path.isEmpty ? quotedIfNeeded(part.name) : "." + quotedIfNeeded(part.name)
            target = try dottedChild(of: target, key: part.name, path: path, at: part.position)
        }
        let last = keys[keys.count - 1]
        if let first = target.keyPositions[last.name] {
            path += path.isEmpty ? quotedIfNeeded(last.name) : "." + quotedIfNeeded(last.name)
            throw TOMLSyntaxError(position: last.position, message: "duplicate key \(path) (first set on line \(first.line))")
        }
        target.insert(.value(value), for: last.name, at: last.position)
    }

    private func dottedChild(
        of table: TOMLTableBuilder, key: String, path: String, at position: TOMLPosition
    ) throws(TOMLSyntaxError) -> TOMLTableBuilder {
        guard let existing = table.slots[key] else {
            let child = TOMLTableBuilder(origin: .dotted, position: position)
            table.insert(.table(child), for: key, at: position)
            return child
        }
        let firstLine = table.keyPositions[key]?.line ?? position.line
        switch existing {
        case .table(let child) where child.origin == .dotted:
            return child
        case .table:
            throw TOMLSyntaxError(
                position: position,
                message: "table \(path) is defined by a header on line \(firstLine); add keys to it under that header, not with dotted keys")
        case .tableArray:
            throw TOMLSyntaxError(
                position: position, message: "\(path) is an array of tables (line \(firstLine)); dotted keys cannot add to it")
        case .value(.table):
            throw TOMLSyntaxError(
                position: position,
                message: "\(path) is an inline table on line \(firstLine); an inline table cannot be extended")
        case .value:
            throw TOMLSyntaxError(
                position: position, message: "\(path) already holds a value (line \(firstLine)), so it cannot be a table")
        }
    }

    /// A key: one or more bare or quoted parts joined by dots, with each part's position.
    mutating func key() throws(TOMLSyntaxError) -> [(name: String, position: TOMLPosition)] {
        var parts: [(name: String, position: TOMLPosition)] = []
        while true {
            skipWhitespace()
            let start = position
            guard let byte = peek() else { throw error("expected a key") }
            let name: String
            if byte == UInt8(ascii: "\"") {
                if startsWith("\"\"\"") { throw error("a key cannot be a multi-line string") }
                name = try basicString()
            } else if byte == UInt8(ascii: "'") {
                if startsWith("'''") { throw error("a key cannot be a multi-line string") }
                name = try literalString()
            } else if Self.isBareKeyByte(byte) {
                let begin = index
                while let next = peek(), Self.isBareKeyByte(next) { index += 1 }
                name = String(decoding: bytes[begin..<index], as: UTF8.self)
            } else if isNewline(byte) || byte == UInt8(ascii: "=") {
                throw error("expected a key")
            } else {
                throw error("a bare key may only hold letters, digits, '_' and '-'; quote any other key (\"…\")")
            }
            parts.append((name, start))
            skipWhitespace()
            guard peek() == UInt8(ascii: ".") else { return parts }
            index += 1
        }
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// A key as it would be written: bare when it can be, else quoted (for messages).
    func quotedIfNeeded(_ key: String) -> String {
        if !key.isEmpty, key.utf8.allSatisfy(Self.isBareKeyByte) { return key }
        return "\""
            + key.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
            .joined() + "\""
    }

    // MARK: - Values

    /// One value: a string, number, boolean, date or time, array or inline table.
    mutating func value() throws(TOMLSyntaxError) -> TOMLNode {
        guard let byte = peek(), !isNewline(byte), byte != UInt8(ascii: "#") else {
            throw error("expected a value after '='")
        }
        switch byte {
        case UInt8(ascii: "\""):
            return .string(startsWith("\"\"\"") ? try multiLineBasicString() : try basicString())
        case UInt8(ascii: "'"):
            return .string(startsWith("'''") ? try multiLineLiteralString() : try literalString())
        case UInt8(ascii: "["):
            return try array()
        case UInt8(ascii: "{"):
            return try inlineTable()
        default:
            return try scalar()
        }
    }

    private mutating func array() throws(TOMLSyntaxError) -> TOMLNode {
        let start = position
        try enterNesting()
        defer { depth -= 1 }
        index += 1
        var elements: [TOMLNode] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            guard let byte = peek() else {
                throw TOMLSyntaxError(position: start, message: "the array opened here is missing its closing ']'")
            }
            if byte == UInt8(ascii: "]") { index += 1; return .array(elements) }
            elements.append(try value())
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            case nil: throw TOMLSyntaxError(position: start, message: "the array opened here is missing its closing ']'")
            default: throw error("expected ',' or ']' after an array element")
            }
        }
    }

    private mutating func inlineTable() throws(TOMLSyntaxError) -> TOMLNode {
        let start = position
        try enterNesting()
        defer { depth -= 1 }
        index += 1
        let table = TOMLTableBuilder(origin: .inline, position: start)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return .table(table.build())
        }
        while true {
            skipWhitespace()
            if peek() == nil || isNewline(peek()) {
                throw error("an inline table { … } must be closed on the line it starts (TOML 1.0)")
            }
            try keyValue(into: table)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if peek() == UInt8(ascii: "}") { throw error("an inline table may not end with a comma") }
            case UInt8(ascii: "}"):
                index += 1
                return .table(table.build())
            case nil, UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("an inline table { … } must be closed on the line it starts (TOML 1.0)")
            default:
                throw error("expected ',' or '}' in the inline table")
            }
        }
    }

    private mutating func enterNesting() throws(TOMLSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("arrays and inline tables are nested more than \(Self.maximumDepth) deep")
        }
    }

    // MARK: - Whitespace, comments, line ends

    func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    func startsWith(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return text.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
    }

    func isNewline(_ byte: UInt8?) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    /// The position of the next byte.
    var position: TOMLPosition {
        // Columns count scalars: UTF-8 continuation bytes do not start one.
        let column = bytes[lineStart..<min(index, bytes.count)].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } + 1
        return TOMLPosition(line: line, column: column)
    }

    func error(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(position: position, message: message)
    }

    mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    /// A line break: LF or CR LF (a lone CR is not one).
    mutating func consumeNewline() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else { throw error("a carriage return must be followed by a line feed") }
            index += 1
        }
        index += 1
        line += 1
        lineStart = index
    }

    mutating func skipComment() throws(TOMLSyntaxError) {
        index += 1
        while let byte = peek(), !isNewline(byte) {
            if Self.isForbiddenControl(byte) { throw error("a comment may not hold control characters") }
            index += 1
        }
    }

    private mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLSyntaxError) {
        while true {
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "#"): try skipComment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): try consumeNewline()
            default: return
            }
        }
    }

    /// After a key/value pair or a header only a comment may follow on the same line.
    private mutating func endOfLine(after what: String) throws(TOMLSyntaxError) {
        skipWhitespace()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        guard let byte = peek() else { return }
        guard isNewline(byte) else {
            throw error("unexpected text after \(what); each key = value pair needs a line of its own")
        }
        try consumeNewline()
    }

    /// Control characters TOML forbids in comments and strings: all of C0 but tab, and DEL.
    static func isForbiddenControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }
}
