import Synchronization

#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// The state directory held for one daemon alone: an exclusive `flock` on `<state_directory>/lock`.
///
/// Two daemons on one state directory overwrite each other's counts and delete each other's
/// files mid-write, so the second one to start refuses, naming the first one's pid. The lock is
/// the kernel's, tied to the open descriptor: it goes away when this value is released or
/// deinitialised, or when the process dies in any way (SIGKILL included), so a crash never leaves
/// a stale lock behind and the pid in the file is only ever read for the message.
///
/// A dry run takes no lock: it writes nothing, and may run beside the real daemon.
///
/// ```swift
/// let lock = try StateDirectoryLock.acquire(directory: configuration.daemon.stateDirectory)
/// // … run; keep `lock` alive until the end …
/// ```
package final class StateDirectoryLock: Sendable {
    /// The locked state directory.
    package let directory: String
    /// The open, locked lock file; -1 once released.
    private let descriptor: Mutex<CInt>

    /// `<directory>/lock`.
    package var path: String { Self.lockPath(in: directory) }

    private init(directory: String, descriptor: CInt) {
        self.directory = directory
        self.descriptor = Mutex(descriptor)
    }

    deinit { release() }

    /// Takes the lock on `directory` (created with mode 0700 when missing) and writes this
    /// process's pid into the lock file (mode 0600).
    ///
    /// Never waits: when another process holds the lock this throws at once, with that
    /// process's pid in the message. A `lock` entry that is a symbolic link or not a regular file
    /// is refused rather than followed.
    package static func acquire(directory: String) throws(StateDirectoryLockError) -> StateDirectoryLock {
        let path = lockPath(in: directory)
        func failure(_ failedPath: String, _ code: CInt) -> StateDirectoryLockError {
            // Lower case, like every other start-up error: `permission denied`.
            .unusable(directory: directory, path: failedPath, reason: SystemErrorReason.text(code))
        }
        if mkdir(directory, 0o700) != 0, errno != EEXIST { throw failure(directory, errno) }
        // The directory itself may be a symlink (systemd's DynamicUser= makes /var/lib/botstatsd
        // one); only its own entries are refused when they are links.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw failure(directory, errno) }
        defer { close(directoryFD) }
        let fd = openat(directoryFD, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw .unusable(directory: directory, path: path, reason: "is a symbolic link; remove it")
            }
            throw failure(path, errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw failure(path, code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .unusable(directory: directory, path: path, reason: "is not a regular file; remove it")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            let holder = code == EWOULDBLOCK ? holderPID(fd) : nil
            close(fd)
            if code == EWOULDBLOCK { throw .inUse(directory: directory, holderPID: holder) }
            throw failure(path, code)
        }
        // Only for the message of a daemon that is refused; a failure here (a full disk) does not
        // weaken the lock, so it does not stop the start.
        let line = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = line.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        return StateDirectoryLock(directory: directory, descriptor: fd)
    }

    /// Gives the directory up; another daemon may take it from now on. Releasing twice is harmless.
    package func release() {
        let fd = descriptor.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        // Closing the descriptor drops the lock; the file stays, so the next holder opens the
        // same inode instead of racing over a new one.
        if fd >= 0 { close(fd) }
    }

    private static func lockPath(in directory: String) -> String { directory + "/lock" }

    /// The pid a holder wrote into the lock file, if it wrote one yet.
    private static func holderPID(_ fd: CInt) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        guard let pid = Int(text.filter { !$0.isWhitespace }), pid > 0 else { return nil }
        return pid
    }
}
