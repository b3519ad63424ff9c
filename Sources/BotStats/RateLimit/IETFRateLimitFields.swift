/// The structured `RateLimit` / `RateLimit-Policy` fields of the IETF httpapi drafts, in both
/// shapes lists send: draft-07 and later (`RateLimit: "default";r=0;t=30` with
/// `RateLimit-Policy: "default";q=100;w=60`) and the older dictionary
/// (`RateLimit: limit=100, remaining=0, reset=30`).
///
/// Parsed by hand and tolerantly (spaces, quoted or bare values, any parameter order) rather
/// than with a strict RFC 8941 parser: a list that gets the syntax slightly wrong still means
/// its numbers, and honouring them beats hammering it.
struct IETFRateLimitFields: Sendable, Equatable {
    /// `q=`, `limit=`, or an older draft's bare policy integer.
    var limit: Int?
    /// `r=` or `remaining=`.
    var remaining: Int?
    /// `t=` or `reset=`: seconds until the window resets. The drafts say delta seconds, but
    /// the value goes through the same magnitude rule as `X-RateLimit-Reset`: a delta of 1e8
    /// seconds or more would only be capped to six hours, whereas servers that put an epoch
    /// here mean a much shorter wait.
    var reset: ResetValue?
    /// The policy name of the first `RateLimit` item, to find its `RateLimit-Policy` entry.
    var policyName: String?

    /// Reports a refused value: the parameter name, the raw text, and why.
    typealias Reject = (_ parameter: String, _ raw: String, _ why: ValueRejection) -> Void

    /// Reads one `RateLimit` field value; only the first item counts, because the drafts list
    /// the policy closest to exhaustion first.
    static func parseRateLimit(_ value: String, reject: Reject) -> IETFRateLimitFields {
        let members = StructuredList.members(value)
        guard let first = members.first else { return IETFRateLimitFields() }
        var fields = IETFRateLimitFields()
        if StructuredList.isDictionaryKey(first.item) {
            // The older dictionary form: every member is one key of the same single policy.
            for member in members {
                let (key, raw) = StructuredList.keyValue(member.item)
                apply(key: key, raw: raw, to: &fields, reject: reject)
            }
        } else {
            fields.policyName = StructuredList.unquote(first.item)
            for (key, raw) in first.parameters {
                switch key {
                case "r": apply(key: "remaining", raw: raw, to: &fields, reject: reject)
                case "t": apply(key: "reset", raw: raw, to: &fields, reject: reject)
                default: break
                }
            }
        }
        return fields
    }

    /// Reads the limit from a `RateLimit-Policy` value: the entry named `name` if there is
    /// one, else the first. `q=` is draft-07's quota; older drafts put it as the bare item.
    static func parsePolicyLimit(_ value: String, name: String?, reject: Reject) -> Int? {
        let members = StructuredList.members(value)
        let chosen = members.first { name != nil && StructuredList.unquote($0.item) == name } ?? members.first
        guard let chosen else { return nil }
        if let q = chosen.parameters.first(where: { $0.key == "q" }) {
            return count(q.value, parameter: "q", reject: reject)
        }
        if case .success(let bare) = DecimalSeconds.count(chosen.item) {
            return bare
        }
        return nil
    }

    /// The first usable value of a key wins, matching how duplicate header lines are treated.
    private static func apply(key: String, raw: String, to fields: inout IETFRateLimitFields, reject: Reject) {
        switch key {
        case "limit":
            fields.limit = fields.limit ?? count(raw, parameter: key, reject: reject)
        case "remaining":
            fields.remaining = fields.remaining ?? count(raw, parameter: key, reject: reject)
        case "reset":
            guard fields.reset == nil else { return }
            switch DecimalSeconds.parseSaturating(raw) {
            case .success(let seconds): fields.reset = ResetValue(seconds)
            case .failure(let why): reject(key, raw, why)
            }
        default:
            break
        }
    }

    private static func count(_ raw: String, parameter: String, reject: Reject) -> Int? {
        switch DecimalSeconds.count(raw) {
        case .success(let n): return n
        case .failure(let why):
            reject(parameter, raw, why)
            return nil
        }
    }
}

/// Just enough of RFC 8941 lists and dictionaries to pull numbers out of them.
enum StructuredList {
    /// One list member: its bare item (or `key=value` for a dictionary) and its `;` parameters.
    struct Member {
        var item: String
        var parameters: [(key: String, value: String)]
    }

    /// Splits on top-level commas, then each member on top-level semicolons; separators inside
    /// double quotes are text, so a quoted policy name may contain them.
    static func members(_ value: String) -> [Member] {
        split(value, on: ",").compactMap { raw in
            let pieces = split(raw, on: ";").map(trim)
            guard let item = pieces.first, !item.isEmpty else { return nil }
            let parameters = pieces.dropFirst().filter { !$0.isEmpty }.map(keyValue)
            return Member(item: item, parameters: parameters)
        }
    }

    /// `key=value` with both sides trimmed and the value unquoted; a bare key is `key=` with an
    /// empty value (RFC 8941's boolean true, which no numeric field uses). Keys are lowercased:
    /// RFC 8941 keys are lowercase anyway, and `Limit=` from a sloppy list means the same.
    static func keyValue(_ text: String) -> (key: String, value: String) {
        guard let eq = text.firstIndex(of: "=") else { return (trim(text).lowercased(), "") }
        let key = trim(String(text[..<eq])).lowercased()
        let value = unquote(trim(String(text[text.index(after: eq)...])))
        return (key, value)
    }

    /// Whether a member is `key=value` (the older dictionary form) rather than a named item.
    static func isDictionaryKey(_ item: String) -> Bool {
        !item.hasPrefix("\"") && item.contains("=")
    }

    /// Removes one pair of surrounding double quotes and RFC 8941's backslash escapes.
    static func unquote(_ text: String) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
        var out = ""
        var escaped = false
        for c in text.dropFirst().dropLast() {
            if escaped {
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Trims spaces and tabs only (HTTP's OWS), so other stray characters still fail parsing visibly.
    static func trim(_ text: String) -> String {
        var s = Substring(text)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }

    private static func split(_ value: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        for c in value {
            if inQuotes {
                current.append(c)
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inQuotes = false
                }
            } else if c == separator {
                parts.append(current)
                current = ""
            } else {
                if c == "\"" { inQuotes = true }
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}
