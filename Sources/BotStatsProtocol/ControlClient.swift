import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A blocking client for the control socket, as `botstatsctl` uses it: connect, one request
/// line, one response line.
package struct ControlClient: Sendable {
    /// Why a request got no answer.
    package enum Failure: Error, Sendable, Equatable {
        /// The daemon is not running: the socket is missing or refuses connections.
        case notRunning(path: String, reason: String)
        /// Connected, but the exchange failed (timeout, closed early, unreadable answer).
        case exchange(path: String, reason: String)
    }

    package let path: String
    package let timeout: Duration

    package init(path: String, timeout: Duration) {
        self.path = path
        self.timeout = timeout
    }

    /// Sends `request` (a JSON object without newline) and returns the response line.
    package func send(_ request: String) throws(Failure) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .exchange(path: path, reason: lastError()) }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if SocketProbe.connect(fd, path: path) != 0 {
            let code = errno
            let reason = lastError()
            if code == ENOENT || code == ECONNREFUSED || code == ENOTDIR {
                throw .notRunning(path: path, reason: reason)
            }
            throw .exchange(path: path, reason: reason)
        }
        let bytes = Array((request + "\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .exchange(path: path, reason: lastError())
            }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    throw .exchange(path: path, reason: "no answer within \(DurationText.format(timeout))")
                }
                throw .exchange(path: path, reason: lastError())
            }
            if n == 0 { throw .exchange(path: path, reason: "the daemon closed the connection without answering") }
            response.append(contentsOf: buffer[0..<n])
            if let newline = response.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: response[..<newline], as: UTF8.self)
            }
            if ContinuousClock.now > deadline {
                throw .exchange(path: path, reason: "no answer within \(DurationText.format(timeout))")
            }
        }
    }

    private func lastError() -> String { SystemErrorReason.verbatim(errno) }
}
