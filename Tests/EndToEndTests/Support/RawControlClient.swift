import Foundation
import Glibc

/// A bare client for the daemon's control socket (SPEC §7), for protocol tests that `botstatsctl` cannot
/// express: malformed JSON, oversized lines, several requests on one connection, abandoned connections.
///
/// The socket is blocking and every read is bounded by `poll(2)`. Calls block their thread for at most their
/// timeout, so keep timeouts short in tests that open many clients at once. Not `Sendable`: use one client per
/// task. Writes use `MSG_NOSIGNAL`, so a connection the daemon closed raises an error instead of `SIGPIPE`.
final class RawControlClient {
    /// The socket path this client connected to.
    let path: String

    private var fd: Int32
    private var buffer: [UInt8] = []

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Connects to the stream socket at `path`.
    ///
    /// - Throws: ``SupportError`` naming the path and errno (`ENOENT` when it does not exist, `ECONNREFUSED`
    ///   when nothing listens).
    static func connect(path: String) throws -> RawControlClient {
        let fd = try UnixSocketAddress.makeSocket(type: SOCK_STREAM)
        let result = try UnixSocketAddress.withSockaddr(path: path) { address, length in
            Glibc.connect(fd, address, length)
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SupportError.posix("connect", code, path)
        }
        return RawControlClient(path: path, fd: fd)
    }

    /// Sends `line` followed by a newline.
    func send(_ line: String) throws {
        try sendRaw(Array(line.utf8) + [UInt8(ascii: "\n")])
    }

    /// Sends `bytes` exactly as given (no newline is added).
    ///
    /// - Throws: ``SupportError`` when the daemon has closed the connection (`EPIPE`, `ECONNRESET`).
    func sendRaw(_ bytes: [UInt8]) throws {
        try requireOpen()
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 {
                offset += sent
            } else if errno != EINTR {
                throw SupportError.posix("send", errno, "\(path), \(offset) of \(bytes.count) bytes sent")
            }
        }
    }

    /// Sends `line` (plus a newline) again and again without waiting, until the socket's send
    /// buffer is full or `maximumBytes` are sent, and never reads an answer: a client that
    /// pipelines requests and does not read. Returns the bytes sent.
    @discardableResult
    func pipelineWithoutReading(_ line: String, maximumBytes: Int = 8 << 20) throws -> Int {
        try requireOpen()
        let bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
        var total = 0
        while total < maximumBytes {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if sent > 0 {
                total += sent
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return total
            } else if errno != EINTR {
                throw SupportError.posix("send", errno, path)
            }
        }
        return total
    }

    /// Shuts down the sending side (`shutdown(SHUT_WR)`): the daemon sees the end of the
    /// requests, and answers may still be read.
    func shutdownWrite() throws {
        try requireOpen()
        guard Glibc.shutdown(fd, Int32(SHUT_WR)) == 0 else { throw SupportError.posix("shutdown", errno, path) }
    }

    /// Reads one newline-terminated line, without its newline.
    ///
    /// - Returns: the line, or `nil` when the daemon closed the connection (end of file or `ECONNRESET`); a
    ///   final fragment without a newline is discarded at end of file.
    /// - Throws: ``SupportError`` when no complete line arrives within `timeout`.
    func readLine(timeout: Duration) throws -> String? {
        try requireOpen()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        // Only bytes not yet looked at are searched: rescanning a 2 MiB answer after every 16 KiB
        // read took the test client seconds (in a debug build), which were counted as the daemon's.
        var searched = 0
        while true {
            if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            searched = buffer.count
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw SupportError(
                    "no complete line from \(path) within \(timeout); \(buffer.count) bytes pending: "
                        + String(decoding: buffer.prefix(200), as: UTF8.self)
                )
            }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + 1)
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno != EINTR {
                throw SupportError.posix("poll", errno, path)
            }
            guard ready > 0 else {
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
            } else if count == 0 || errno == ECONNRESET {
                return nil
            } else if errno != EINTR && errno != EAGAIN {
                throw SupportError.posix("recv", errno, path)
            }
        }
    }

    /// Sends one JSON request line and parses the one-line response as a JSON object.
    ///
    /// - Throws: ``SupportError`` when the connection closes first, the response does not arrive within
    ///   `timeout`, or it is not a JSON object (the raw line is quoted).
    func request(_ json: String, timeout: Duration = .seconds(10)) throws -> [String: Any] {
        try send(json)
        guard let line = try readLine(timeout: timeout) else {
            throw SupportError("\(path) closed the connection instead of answering \(json)")
        }
        return try Self.parseObject(line)
    }

    /// Parses one response line as a JSON object.
    static func parseObject(_ line: String) throws -> [String: Any] {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]),
            let dictionary = object as? [String: Any]
        else {
            throw SupportError("response is not a JSON object: \(line)")
        }
        return dictionary
    }

    /// Closes the connection; safe to call more than once.
    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit {
        close()
    }

    private func requireOpen() throws {
        guard fd >= 0 else {
            throw SupportError("RawControlClient for \(path) is already closed")
        }
    }
}
