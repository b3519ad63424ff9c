#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client for the daemon's network intake, as `botstatsctl --url` uses it:
/// one request, one answer, the connection closed.
///
/// Plain `http://` only: botstatsctl carries no TLS. The intake serves plain HTTP on loopback and
/// private addresses; across the internet it sits behind a TLS reverse proxy, which `curl` (or a
/// client library) talks to.
package struct IntakeHTTPClient: Sendable {
    /// Why a request got no answer.
    package enum Failure: Error, Sendable, Equatable {
        /// Nothing answers at the address: refused, unreachable, or the name does not resolve.
        case unreachable(address: String, reason: String)
        /// Connected, but the exchange failed (timeout, closed early, unreadable answer).
        case exchange(address: String, reason: String)
        /// The URL is not one this client can use.
        case badURL(String)
    }

    /// An answer: the HTTP status and the body.
    package struct Answer: Sendable, Equatable {
        package var status: Int
        package var body: String
    }

    package let host: String
    package let port: Int
    /// The path prefix of the URL, without a trailing slash (`/botstatsd` behind a proxy).
    package let basePath: String
    package let token: String
    package let timeout: Duration

    /// `url` is `http://host[:port][/prefix]`.
    package init(url: String, token: String, timeout: Duration) throws(Failure) {
        guard url.hasPrefix("http://") else {
            throw .badURL("\(url): only http:// is supported; for https use a client with TLS (see docs/protocol.md)")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count).trimmingTrailingSlashes()
        // No port (or a bracketed IPv6 host alone) means HTTP's 80.
        let explicitPort = authority.contains(":") && !authority.hasSuffix("]")
        guard let (host, port) = HostPort.split(explicitPort ? String(authority) : "\(authority):80") else {
            throw .badURL("\(url): not http://host[:port] with a host and a port from 1 to 65535")
        }
        self.host = host
        self.port = port
        self.basePath = path
        self.token = token
        self.timeout = timeout
    }

    /// Where requests go, for messages: `10.0.0.1:9471`.
    package var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Sends `method path` with `body` and returns the answer.
    package func send(method: String, path: String, body: String?) throws(Failure) -> Answer {
        let fd = try connect()
        defer { close(fd) }
        var request = "\(method) \(basePath)\(path) HTTP/1.1\r\nHost: \(address)\r\nAuthorization: Bearer \(token)\r\n"
        request += "User-Agent: botstatsctl/\(BotStatsVersion.version)\r\nConnection: close\r\n"
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + (body ?? "")
        var bytes = Array(request.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw .exchange(address: address, reason: SystemErrorReason.text(errno))
            }
            bytes = bytes.dropFirst(sent)
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while response.count <= 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw .exchange(
                    address: address,
                    reason: code == EAGAIN || code == EWOULDBLOCK ? "no answer within \(DurationText.format(timeout))" : SystemErrorReason.text(code))
            }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return try Self.parse(response, from: address)
    }

    /// The status and body of a complete HTTP/1.1 answer (`Content-Length` or read to the end).
    static func parse(_ response: [UInt8], from address: String) throws(Failure) -> Answer {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = response.indices.first(where: { response[$0...].starts(with: separator) }) else {
            throw .exchange(address: address, reason: "the answer ended before its headers did")
        }
        let statusLine = String(decoding: response[..<headEnd].prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let fields = statusLine.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0].hasPrefix("HTTP/"), let status = Int(fields[1]) else {
            throw .exchange(address: address, reason: "the answer is not HTTP")
        }
        return Answer(status: status, body: String(decoding: response[(headEnd + separator.count)...], as: UTF8.self))
    }

    private func connect() throws(Failure) -> CInt {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else {
            throw .unreachable(address: address, reason: "cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var lastError = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var tv = timeval(
                tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = errno
            close(fd)
        }
        throw .unreachable(address: address, reason: SystemErrorReason.text(lastError))
    }
}
