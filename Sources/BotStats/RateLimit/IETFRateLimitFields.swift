import BotStatsProtocol

/// The structured `RateLimit` / `RateLimit-Policy` fields of the IETF httpapi drafts, in both
/// shapes lists send: draft-07 and later (`RateLimit: "default";r=0;t=30` with
/// `RateLimit-Policy: "default";q=100;w=60`) and the older dictionary
/// (`RateLimit: limit=100, remaining=0, reset=30`).
///
/// A response may carry several policies: as several items of one field, as several field lines
/// (express-rate-limit sends one line per limiter), or folded by a proxy into one comma-separated
/// line. Every item on every line counts, because any one exhausted policy is enough to refuse the
/// next request, and the list orders them as it likes.
///
/// Parsed by hand and tolerantly (spaces, quoted or bare values, any parameter order) rather
/// than with a strict RFC 8941 parser: a list that gets the syntax slightly wrong still means
/// its numbers, and honouring them beats hammering it.
struct IETFRateLimitFields: Sendable, Equatable {
    /// One policy's state, as one `RateLimit` item (or the older drafts' split fields) reports it.
    struct Item: Sendable, Equatable {
        /// The policy name, to find its `RateLimit-Policy` entry; nil in the dictionary form.
        var name: String?
        /// `limit=` of the dictionary form; draft-07 puts the quota in `RateLimit-Policy` instead.
        var limit: Int?
        /// `r=` or `remaining=`.
        var remaining: Int?
        /// `t=` or `reset=`: seconds until the window resets. The drafts say delta seconds, but
        /// the value goes through the same magnitude rule as `X-RateLimit-Reset`: a delta of 1e8
        /// seconds or more would only be capped to six hours, whereas servers that put an epoch
        /// here mean a much shorter wait.
        var reset: ResetValue?

        /// Whether the item said anything at all.
        var isEmpty: Bool { limit == nil && remaining == nil && reset == nil }
    }

    /// One `RateLimit-Policy` item: a quota and the name that ties it to a `RateLimit` item.
    struct Policy: Sendable, Equatable {
        /// The policy name; nil for an older draft's bare integer, which is the quota itself.
        var name: String?
        /// `q=`, or the bare integer of older drafts.
        var quota: Int?
    }

    /// Every item of every `RateLimit` line, in arrival order.
    var items: [Item] = []
    /// Every item of every `RateLimit-Policy` line, in arrival order.
    var policies: [Policy] = []

    /// Reports a refused value: the parameter name, the raw text, and why.
    typealias Reject = (_ parameter: String, _ raw: String, _ why: ValueRejection) -> Void

    /// Adds the items of one `RateLimit` field line.
    ///
    /// In the dictionary form a key seen again starts the next policy, so dictionaries of several
    /// limiters folded into one line stay apart instead of the second one being lost.
    mutating func addRateLimit(_ value: String, reject: Reject) {
        let members = StructuredList.members(value)
        guard let first = members.first else { return }
        if StructuredList.isDictionaryKey(first.item) {
            var current = Item()
            var seen: Set<String> = []
            for member in members {
                let (key, raw) = StructuredList.keyValue(member.item)
                guard ["limit", "remaining", "reset"].contains(key) else { continue }
                if seen.contains(key) {
                    if !current.isEmpty { items.append(current) }
                    current = Item()
                    seen = []
                }
                seen.insert(key)
                Self.apply(key: key, raw: raw, to: &current, reject: reject)
            }
            if !current.isEmpty { items.append(current) }
        } else {
            for member in members where !StructuredList.isDictionaryKey(member.item) {
                var item = Item(name: StructuredList.unquote(member.item))
                for (key, raw) in member.parameters {
                    switch key {
                    case "r": Self.apply(key: "remaining", raw: raw, to: &item, reject: reject)
                    case "t": Self.apply(key: "reset", raw: raw, to: &item, reject: reject)
                    default: break
                    }
                }
                if !item.isEmpty { items.append(item) }
            }
        }
    }

    /// Adds the items of one `RateLimit-Policy` field line. `q=` is draft-07's quota; older drafts
    /// put it as the bare item.
    mutating func addPolicy(_ value: String, reject: Reject) {
        for member in StructuredList.members(value) {
            if case .success(let bare) = DecimalSeconds.count(member.item) {
                policies.append(Policy(name: nil, quota: bare))
                continue
            }
            let quota = member.parameters.first { $0.key == "q" }.flatMap {
                Self.count($0.value, parameter: "q", reject: reject)
            }
            policies.append(Policy(name: StructuredList.unquote(member.item), quota: quota))
        }
    }

    /// Turns a reset into a wait; the caller measures epochs against the response's clock.
    typealias ResetWait = (ResetValue) -> Duration

    /// The item that holds the next request back: among exhausted items (`r=0`) the one whose
    /// window resets last, since it is the last to let a request through; else the one with the
    /// fewest requests left; else the first. Nil when there are no items.
    func binding(resetWait: ResetWait) -> Item? {
        let exhausted = items.filter { $0.remaining == 0 }
        if !exhausted.isEmpty {
            let waits = exhausted.map { ($0, $0.reset.map(resetWait) ?? .zero) }
            return waits.max { $0.1 < $1.1 }?.0
        }
        let counted = items.compactMap { item in item.remaining.map { (item, $0) } }
        return counted.min { $0.1 < $1.1 }?.0 ?? items.first
    }

    /// The longest reset among exhausted items (uncapped): every one of them must be waited out.
    /// Nil when no exhausted item names a reset.
    func exhaustedWait(resetWait: ResetWait) -> Duration? {
        items.filter { $0.remaining == 0 }.compactMap { $0.reset.map(resetWait) }.max()
    }

    /// The quota of `item`'s policy: the `RateLimit-Policy` entry of the same name; else, when the
    /// policies carry no names (older drafts), the first one.
    func quota(of item: Item) -> Int? {
        if let name = item.name, let named = policies.first(where: { $0.name == name }) {
            return named.quota
        }
        return policies.allSatisfy { $0.name == nil } ? policies.first?.quota : nil
    }

    /// The first usable value of a key wins, matching how duplicate header lines are treated.
    private static func apply(key: String, raw: String, to item: inout Item, reject: Reject) {
        switch key {
        case "limit":
            item.limit = item.limit ?? count(raw, parameter: key, reject: reject)
        case "remaining":
            item.remaining = item.remaining ?? count(raw, parameter: key, reject: reject)
        case "reset":
            guard item.reset == nil else { return }
            switch DecimalSeconds.parseSaturating(raw) {
            case .success(let seconds): item.reset = ResetValue(seconds)
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
