import BotStatsProtocol

/// `[bot]` and `[targets.*]`: one bot per file, with its lists.
extension ConfigurationLoader {
    func readBot(_ top: TableReader, defaultName: String, tokens: TokenReader) -> BotSettings? {
        guard let bot = top.table("bot") else {
            if !top.has("bot") { top.error("bot", "missing required table") }
            return nil
        }
        bot.rejectUnknownKeys(allowed: [
            "id", "name", "repost_interval", "source", "discord_token_file", "discord_token_credential",
            "discord_token", "discord_base_url", "shard_timeout", "drop_guard",
        ])
        let id: String?
        if case .integer(let number)? = bot.table["id"] {
            // Written without quotes, an id is an integer; say how to write it rather than what it is not.
            bot.error("id", "must be a string: quote the id, id = \"\(number)\"")
            id = nil
        } else {
            id = bot.string("id", required: true)
        }
        if let id, !(id.count >= 15 && id.count <= 21 && id.allSatisfy { $0.isASCII && $0.isNumber }) {
            // The value is not echoed: a token pasted into the wrong key must not reach a log.
            bot.error("id", "is not a Discord application id (15 to 21 digits, as a string)")
        }
        let name = bot.string("name") ?? defaultName
        if !Self.isValidName(name) { bot.error("name", "'\(name.prefix(64))' may only hold letters, digits, '_', '.' and '-', and may not start with '.'") }
        let interval = bot.duration("repost_interval", minimum: .seconds(1)) ?? .seconds(3600)
        if interval > .seconds(30 * 86400) { bot.error("repost_interval", "must be at most 30d") }
        let shardTimeout = bot.duration("shard_timeout", minimum: .seconds(1))
        var dropGuard = 0.5
        if let value = bot.table["drop_guard"] {
            let number: Double? =
                switch value {
                case .float(let number): number
                case .integer(let number): Double(number)
                default: nil
                }
            if let number, number > 0, number <= 1 {
                dropGuard = number
            } else {
                bot.error("drop_guard", "expected a fraction above 0 and at most 1 (0.5 holds back a fall of more than half)")
            }
        }
        var source = CountSource.push
        switch bot.string("source") ?? "push" {
        case "push":
            for key in ["discord_token_file", "discord_token_credential", "discord_token", "discord_base_url"] where bot.has(key) {
                bot.error(key, "only used with source = \"discord\"")
            }
        case "discord":
            let base = bot.string("discord_base_url") ?? "https://discord.com/api/v10"
            if let problem = Self.baseURLProblem(base) { bot.error("discord_base_url", problem) }
            if let token = tokens.token(in: bot, prefix: "discord_") { source = .discord(token: token, baseURL: base) }
        case let other:
            bot.error("source", "'\(other)' is not push or discord")
        }
        var targets: [TargetSettings] = []
        if let table = top.table("targets") {
            for targetName in table.table.keys {
                guard let target = table.table(targetName) else { continue }
                if let settings = readTarget(target, name: targetName, tokens: tokens) { targets.append(settings) }
            }
        }
        guard let id else { return nil }
        return BotSettings(
            name: name, id: id, repostInterval: interval, source: source, sourceFile: top.file,
            shardTimeout: shardTimeout, dropGuard: dropGuard, targets: targets)
    }

    func readTarget(_ reader: TableReader, name: String, tokens: TokenReader) -> TargetSettings? {
        if !Self.isValidName(name) {
            reader.error("", "target names may only hold letters, digits, '_', '.' and '-'")
        }
        let builtinKeys: Set<String> = ["provider", "token_file", "token_credential", "token", "base_url", "enabled"]
        let providerName: String
        if let given = reader.string("provider") {
            providerName = given
        } else if reader.has("provider") {
            return nil
        } else if ProviderTable.provider(named: name) != nil {
            providerName = name
        } else {
            if let guess = SpellingSuggestion.closest(to: name, among: ProviderTable.acceptedNames) {
                reader.error("provider", "missing: '\(name)' is not a built-in provider (did you mean \(guess)?), so provider must be set")
            } else {
                reader.error(
                    "provider",
                    "missing: '\(name)' is not a built-in provider, so provider must be set (one of: \(ProviderTable.acceptedNames.joined(separator: ", ")))")
            }
            return nil
        }
        if let rename = ProviderTable.renamed[providerName] {
            reader.notice(reader.has("provider") ? "provider" : "", rename.notice)
        }
        let enabled = reader.bool("enabled") ?? true
        let token = tokens.token(in: reader)
        let shape: RequestShape
        var baseURL: String?
        if providerName == "custom" {
            reader.rejectUnknownKeys(allowed: builtinKeys.subtracting(["base_url"]).union(["url", "method", "headers", "body"]))
            guard let url = reader.string("url", required: true) else { return nil }
            if !Self.isHTTPURL(url) { reader.error("url", "'\(url)' is not an http:// or https:// URL") }
            checkPlaceholders(url, key: "url", allowToken: false, reader: reader)
            let method = (reader.string("method") ?? "POST").uppercased()
            if !["GET", "POST", "PUT", "PATCH"].contains(method) { reader.error("method", "'\(method)' is not GET, POST, PUT or PATCH") }
            let headers = (reader.stringTable("headers") ?? []).map { HeaderTemplate(name: $0.0, value: $0.1) }
            for header in headers {
                checkPlaceholders(header.value, key: "headers.\(header.name)", allowToken: true, reader: reader)
                if header.name.isEmpty || !header.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
                    reader.error("headers", "a header name may only hold letters, digits, '-' and '_'")
                }
                // Scalars, not Characters: "\r\n" is a single Character.
                if header.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                    reader.error("headers.\(header.name)", "a header value must not contain line breaks")
                }
            }
            let body = reader.string("body")
            if let body { checkPlaceholders(body, key: "body", allowToken: false, reader: reader) }
            if method == "GET", body != nil {
                reader.error("body", "a GET request carries no body; use POST, PUT or PATCH, or remove body")
            }
            if !headers.contains(where: { $0.value.contains("{token}") }) {
                reader.warning(
                    "", "no header uses {token}, so the list is sent no credentials; e.g. headers = { Authorization = \"{token}\" }")
            }
            shape = .custom(CustomTemplate(url: url, method: method, headers: headers, body: body))
        } else if let spec = ProviderTable.provider(named: providerName) {
            reader.rejectUnknownKeys(allowed: builtinKeys)
            baseURL = reader.string("base_url")
            if let base = baseURL, let problem = Self.baseURLProblem(base) { reader.error("base_url", problem) }
            shape = .builtin(spec)
        } else {
            // The value is not echoed: a token pasted into the wrong key must not reach a log.
            if let guess = SpellingSuggestion.closest(to: providerName, among: ProviderTable.acceptedNames) {
                reader.error("provider", "unknown provider; did you mean \(guess)?")
            } else {
                reader.error("provider", "unknown provider (expected one of: \(ProviderTable.acceptedNames.joined(separator: ", ")))")
            }
            return nil
        }
        guard let token else { return nil }
        return TargetSettings(name: name, request: shape, baseURL: baseURL, token: token, enabled: enabled)
    }

    func checkPlaceholders(_ template: String, key: String, allowToken: Bool, reader: TableReader) {
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            rest = rest[rest.index(after: open)...]
            let name = rest.prefix { ($0.isASCII && $0.isLetter && $0.isLowercase) || $0 == "_" }
            guard !name.isEmpty, rest.dropFirst(name.count).first == "}" else { continue }
            if !Self.placeholders.contains(String(name)) {
                reader.error(key, "unknown placeholder {\(name)} (known: {bot_id} {servers} {users} {shards}, and {token} in headers)")
            } else if name == "token" && !allowToken {
                reader.error(key, "{token} is only allowed in headers, where it cannot leak into logs")
            }
        }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".") && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    /// What is wrong with a `host:port` listen address, or nil. IPv6 hosts need brackets
    /// (`[::1]:9470`), or the port could not be told from the address.
    static func listenAddressProblem(_ text: String) -> String? {
        let example = "e.g. \"127.0.0.1:9470\" or \"[::1]:9470\""
        guard let colon = text.lastIndex(of: ":") else { return "'\(text)' is not host:port, \(example)" }
        let host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        guard !host.isEmpty, let port = Int(portText) else { return "'\(text)' is not host:port, \(example)" }
        if host.hasPrefix("[") != host.hasSuffix("]") || (host.hasPrefix("[") && host.count < 3) {
            return "'\(text)' is not host:port, \(example)"
        }
        if !host.hasPrefix("["), host.contains(":") {
            return "'\(text)': an IPv6 address needs brackets, e.g. \"[::1]:9470\""
        }
        guard (1...65535).contains(port) else { return "port \(port) is not between 1 and 65535" }
        return nil
    }

    /// What is wrong with a base URL the provider's path is appended to, or nil.
    static func baseURLProblem(_ text: String) -> String? {
        guard isHTTPURL(text) else { return "'\(text)' is not an http:// or https:// URL" }
        if text.contains("?") || text.contains("#") {
            return "'\(text)' has a query or fragment; the provider's path is appended to it, so it must end at a path"
        }
        return nil
    }

    static func isHTTPURL(_ text: String) -> Bool {
        for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
            let host = text.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" }
            return !host.isEmpty && !text.contains(" ")
        }
        return false
    }
}
