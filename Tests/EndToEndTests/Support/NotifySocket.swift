import Foundation
import Glibc
import Synchronization

/// A stand-in for systemd's notification socket: an `AF_UNIX` datagram socket that records every `sd_notify`
/// message a daemon sends to it.
///
/// Pass ``path`` to the daemon as `NOTIFY_SOCKET` (``DaemonHarness`` does this). Datagrams are received on a
/// dedicated thread that sleeps in `poll(2)`; ``close()`` wakes it through a socket pair, so nothing spins and
/// nothing blocks the Swift concurrency pool.
final class NotifySocket: Sendable {
    /// What the receiving thread shares with the socket's users; a separate object so that the thread does not
    /// keep the ``NotifySocket`` alive and `deinit` can still close it.
    private final class Mailbox: Sendable {
        struct State {
            var messages: [NotifyMessage] = []
            var closed = false
        }

        let state = Mutex(State())
        let receiverFinished = DispatchSemaphore(value: 0)
    }

    /// The socket's filesystem path, the value for `NOTIFY_SOCKET`.
    let path: String

    private let directory: URL
    private let mailbox = Mailbox()
    private let wakeWriteFD: Int32

    /// Binds a new socket at `/tmp/bsd-notify-XXXXXX/notify.sock` and starts receiving.
    static func bind() throws -> NotifySocket {
        let directory = try TemporaryDirectory.make(prefix: "bsd-notify-")
        let path = directory.appendingPathComponent("notify.sock").path
        let fd = try UnixSocketAddress.makeSocket(type: SOCK_DGRAM)
        let bound = try UnixSocketAddress.withSockaddr(path: path) { address, length in
            Glibc.bind(fd, address, length)
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SupportError.posix("bind", code, path)
        }
        // A socket pair rather than a pipe: it can be created close-on-exec atomically.
        var wake: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &wake) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SupportError.posix("socketpair", code)
        }
        return NotifySocket(path: path, directory: directory, socketFD: fd, wakeReadFD: wake[0], wakeWriteFD: wake[1])
    }

    private init(path: String, directory: URL, socketFD: Int32, wakeReadFD: Int32, wakeWriteFD: Int32) {
        self.path = path
        self.directory = directory
        self.wakeWriteFD = wakeWriteFD
        let thread = Thread { [mailbox] in
            Self.receive(socketFD: socketFD, wakeReadFD: wakeReadFD, into: mailbox)
        }
        thread.name = "NotifySocket \(path)"
        thread.start()
    }

    /// Every message received so far, oldest first.
    func messages() -> [NotifyMessage] {
        mailbox.state.withLock { $0.messages }
    }

    /// Waits for a message that satisfies `predicate` and returns the first such message.
    ///
    /// - Parameters:
    ///   - skipping: how many of the oldest messages to ignore; pass `messages().count` taken before an action to
    ///     match only what the action caused (e.g. the `READY=1` that follows a reload, not the first one).
    ///   - timeout: how long to wait; the error then lists every message seen.
    func waitFor(
        _ predicate: @Sendable (NotifyMessage) -> Bool,
        skipping: Int = 0,
        timeout: Duration
    ) async throws -> NotifyMessage {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let all = messages()
            if let match = all.dropFirst(skipping).first(where: predicate) {
                return match
            }
            if ContinuousClock.now >= deadline {
                let seen = all.enumerated().map { "  [\($0.offset)] \($0.element)" }.joined(separator: "\n")
                throw SupportError(
                    """
                    no matching sd_notify message on \(path) within \(timeout) \
                    (skipping the first \(skipping)); \(all.count) received:
                    \(seen)
                    """
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops receiving, closes the socket and removes its directory; safe to call more than once.
    func close() {
        let first = mailbox.state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else {
            return
        }
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
        mailbox.receiverFinished.wait()
        Glibc.close(wakeWriteFD)
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        close()
    }

    private static func receive(socketFD: Int32, wakeReadFD: Int32, into mailbox: Mailbox) {
        defer {
            Glibc.close(socketFD)
            Glibc.close(wakeReadFD)
            mailbox.receiverFinished.signal()
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var descriptors = [
            pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, nfds_t(descriptors.count), -1)
            if ready < 0 {
                if errno == EINTR {
                    continue
                }
                return
            }
            if descriptors[1].revents != 0 {
                return
            }
            guard descriptors[0].revents & Int16(POLLIN) != 0 else {
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
            guard count >= 0 else {
                continue  // EINTR or a transient error: poll again.
            }
            let message = NotifyMessage(
                text: String(decoding: buffer[0..<count], as: UTF8.self),
                receivedAt: .now
            )
            mailbox.state.withLock { $0.messages.append(message) }
        }
    }
}
