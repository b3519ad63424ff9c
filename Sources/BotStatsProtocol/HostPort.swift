/// `host:port` as listeners and URLs write it, IPv6 hosts in brackets (`[::1]:9471`).
package enum HostPort {
    /// Splits `host:port` into the host (without brackets) and a port from 1 to 65535; nil when
    /// the text is not that.
    package static func split(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }
}
