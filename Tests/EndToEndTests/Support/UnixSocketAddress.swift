import Glibc

/// Builds `sockaddr_un` values for filesystem Unix-domain socket paths and probes whether a stream socket
/// accepts connections.
///
/// Unix socket paths are limited to 107 bytes on Linux; a longer path is reported as an error rather than
/// silently truncated, which is why the harness keeps its directories short (`/tmp/bsd-e2e-XXXXXX`).
enum UnixSocketAddress {
    /// The longest path, in bytes, that fits in `sockaddr_un.sun_path` with its terminating NUL.
    static var maximumPathLength: Int {
        MemoryLayout<sockaddr_un>.size - MemoryLayout<sa_family_t>.size - 1
    }

    /// Calls `body` with a `sockaddr` pointer and length describing `path`.
    ///
    /// - Throws: ``SupportError`` when the path does not fit in `sun_path`.
    static func withSockaddr<Result>(
        path: String,
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result
    ) throws -> Result {
        let bytes = Array(path.utf8)
        guard bytes.count <= maximumPathLength else {
            throw SupportError(
                "Unix socket path is \(bytes.count) bytes, the limit is \(maximumPathLength): \(path)"
            )
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return try withUnsafePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                try body(sockaddrPointer, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Creates a close-on-exec Unix-domain socket of the given type (`SOCK_STREAM` or `SOCK_DGRAM`).
    ///
    /// Close-on-exec matters: the tests spawn daemons concurrently, and a leaked descriptor would keep another
    /// test's socket or pipe open in an unrelated child.
    static func makeSocket(type: __socket_type) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(type.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw SupportError.posix("socket(AF_UNIX)", errno)
        }
        return fd
    }

    /// Returns whether a stream socket at `path` exists and accepts a connection right now.
    ///
    /// The probe connection is closed straight away; the daemon sees a client that connects and leaves.
    static func acceptsConnections(path: String) -> Bool {
        guard let fd = try? makeSocket(type: SOCK_STREAM) else {
            return false
        }
        defer { Glibc.close(fd) }
        let result = try? withSockaddr(path: path) { address, length in
            Glibc.connect(fd, address, length)
        }
        return result == 0
    }
}
