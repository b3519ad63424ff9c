/// Finds the line of a key in TOML source text, because the TOML parser reports lines only for
/// syntax errors.
///
/// It follows `[table]` headers and `key =` lines, which covers every layout the example
/// configuration uses; for anything cleverer (dotted keys, inline tables) it gives the table's
/// line or nothing, and the error still names the key path.
struct KeyLineLocator {
    private var tableLines: [String: Int] = [:]
    private var keyLines: [String: Int] = [:]

    init(source: String) {
        var table = ""
        for (index, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            let number = index + 1
            if line.hasPrefix("[") && !line.hasPrefix("[[") {
                guard let close = line.firstIndex(of: "]") else { continue }
                table = Self.normalize(line[line.index(after: line.startIndex)..<close])
                if tableLines[table] == nil { tableLines[table] = number }
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = Self.normalize(line[..<equals])
                let path = table.isEmpty ? key : table + "." + key
                if keyLines[path] == nil { keyLines[path] = number }
            }
        }
    }

    private static func normalize(_ text: Substring) -> String {
        text.split(separator: ".").map {
            $0.trimmingCharacters(in: [" ", "\t", "\"", "'"])
        }.joined(separator: ".")
    }

    /// The line of `keyPath`, else of its table, else nil.
    func line(of keyPath: String) -> Int? {
        if let line = keyLines[keyPath] ?? tableLines[keyPath] { return line }
        var parts = keyPath.split(separator: ".")
        while !parts.isEmpty {
            parts.removeLast()
            if let line = tableLines[parts.joined(separator: ".")] { return line }
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
