import BotStatsProtocol

/// Typed, error-collecting access to one TOML table: every wrong type, bad value and unknown key
/// becomes an error naming the full key path and its line, and reading goes on so all of them
/// are reported.
struct TableReader {
    let table: TOMLTableNode
    /// Key path of this table (`targets.topgg`), empty for the top level.
    let path: String
    let file: String
    let issues: ConfigurationIssues

    func keyPath(_ key: String) -> String { path.isEmpty ? key : key.isEmpty ? path : "\(path).\(key)" }

    /// The line of `key` (which may be dotted, `headers.Authorization`), else of the nearest table
    /// on the way to it; the table's own line for the empty key.
    func line(of key: String) -> Int? {
        var table = self.table
        var line = table.position?.line
        for part in key.split(separator: ".", omittingEmptySubsequences: false) where !key.isEmpty {
            guard let position = table.position(of: String(part)) else { break }
            line = position.line
            guard case .table(let next)? = table[String(part)] else { break }
            table = next
        }
        return line
    }

    func error(_ key: String, _ message: String) {
        issues.error(file: file, line: line(of: key), keyPath: keyPath(key), message)
    }

    func warning(_ key: String, _ message: String) {
        issues.warning(file: file, line: line(of: key), keyPath: keyPath(key), message)
    }

    func notice(_ key: String, _ message: String) {
        issues.notice(file: file, line: line(of: key), keyPath: keyPath(key), message)
    }

    func has(_ key: String) -> Bool { table[key] != nil }

    private func typeError(_ key: String, expected: String, got value: TOMLNode) {
        error(key, "expected \(expected), got \(value.typeDescription)")
    }

    /// A string; one holding NUL (`"\u0000"`) is refused, because everything below the
    /// configuration (C strings, HTTP headers, file names) would cut it short there.
    func string(_ key: String, required: Bool = false) -> String? {
        guard let value = table[key] else {
            if required { error(key, "missing required key") }
            return nil
        }
        guard case .string(let text) = value else {
            typeError(key, expected: "a string", got: value)
            return nil
        }
        // The value is not quoted: it may be a token.
        guard !text.unicodeScalars.contains("\u{0}") else {
            error(key, "holds a NUL character (\\u0000), which cannot be passed on; remove it")
            return nil
        }
        return text
    }

    func bool(_ key: String) -> Bool? {
        guard let value = table[key] else { return nil }
        guard case .boolean(let flag) = value else {
            typeError(key, expected: "true or false", got: value)
            return nil
        }
        return flag
    }

    func int(_ key: String, range: ClosedRange<Int>) -> Int? {
        guard let value = table[key] else { return nil }
        guard case .integer(let wide) = value, let number = Int(exactly: wide) else {
            typeError(key, expected: "an integer", got: value)
            return nil
        }
        guard range.contains(number) else {
            error(key, "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return number
    }

    /// A duration string, at least `minimum`.
    func duration(_ key: String, minimum: Duration = .milliseconds(1)) -> Duration? {
        guard let text = string(key) else { return nil }
        guard let duration = DurationParser.parse(text) else {
            error(key, "'\(text)' is not a duration like \"500ms\", \"90s\", \"15m\", \"1h\" or \"1h30m\"")
            return nil
        }
        guard duration >= minimum else {
            error(key, "must be at least \(DurationText.format(minimum))")
            return nil
        }
        return duration
    }

    /// A sub-table; a value of another type is an error.
    func table(_ key: String) -> TableReader? {
        guard let value = table[key] else { return nil }
        guard case .table(let sub) = value else {
            typeError(key, expected: "a table", got: value)
            return nil
        }
        return TableReader(table: sub, path: keyPath(key), file: file, issues: issues)
    }

    /// An array of strings (`bots = ["main", "second"]`); any other element is an error.
    func stringArray(_ key: String) -> [String]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else {
            typeError(key, expected: "an array of strings", got: value)
            return nil
        }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                error(key, "expected an array of strings, found \(item.typeDescription) in it")
                return nil
            }
            strings.append(text)
        }
        return strings
    }

    /// A table of strings, in key order (`headers = { Authorization = "…" }`).
    func stringTable(_ key: String) -> [(String, String)]? {
        guard let sub = table(key) else { return nil }
        var pairs: [(String, String)] = []
        for name in sub.table.keys.sorted() {
            if let value = sub.string(name) { pairs.append((name, value)) }
        }
        return pairs
    }

    /// Reports every key not in `allowed`, with the allowed key it was most likely meant to be.
    func rejectUnknownKeys(allowed: Set<String>) {
        for key in table.keys where !allowed.contains(key) {
            if let guess = SpellingSuggestion.closest(to: key, among: allowed) {
                error(key, "unknown key; did you mean \(guess)?")
            } else {
                error(key, "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
    }
}
