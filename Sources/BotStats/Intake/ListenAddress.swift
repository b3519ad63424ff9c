import BotStatsProtocol

/// What kind of address a listener binds, for deciding whether plain HTTP may be served on it.
package enum ListenAddress {
    /// Whether `host` only ever means this machine: `localhost`, 127.0.0.0/8, `::1`.
    package static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        return ipv4(host).map { $0[0] == 127 } ?? false
    }

    /// Whether `host` is reachable only inside private networks: loopback, 10/8, 172.16/12,
    /// 192.168/16, 100.64/10 (carrier-grade NAT), 169.254/16 and fe80::/10 (link-local),
    /// fc00::/7 (unique local).
    package static func isPrivate(_ host: String) -> Bool {
        if isLoopback(host) { return true }
        if let octets = ipv4(host) {
            switch (octets[0], octets[1]) {
            case (10, _), (192, 168), (169, 254): return true
            case (172, 16...31), (100, 64...127): return true
            default: return false
            }
        }
        let lower = host.lowercased()
        guard lower.contains(":") else { return false }
        return lower.hasPrefix("fc") || lower.hasPrefix("fd") || lower.hasPrefix("fe8") || lower.hasPrefix("fe9")
            || lower.hasPrefix("fea") || lower.hasPrefix("feb")
    }

    /// The four octets of a dotted IPv4 address, or nil.
    static func ipv4(_ host: String) -> [Int]? {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        let octets = parts.compactMap { part -> Int? in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = Int(part), value <= 255 else { return nil }
            return value
        }
        return octets.count == 4 ? octets : nil
    }
}
