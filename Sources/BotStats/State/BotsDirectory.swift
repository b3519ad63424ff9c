#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// The `bots` directory of a state directory, opened once without following a symlink: every
/// read, write, rename and removal of a state file goes through its descriptor.
///
/// A state directory another user can write (or a daemon running as root over one) must not let a
/// planted symlink redirect a write: with paths, `bots` could point anywhere, and a symlink at a
/// temporary file's name would make the write land on whatever it names. Relative to this
/// descriptor, `bots` is this directory for as long as it is open, temporary files are new files
/// (`O_EXCL`) with names nobody can predict, and a state file that is a link is refused.
final class BotsDirectory {
    /// What reading one state file gave.
    enum Read {
        /// The file's bytes.
        case contents([UInt8])
        /// Gone since the listing; nothing to do.
        case missing
        /// A link, a directory, a device, or too large: not a state file, to be moved aside.
        case unusable(String)
        /// A state file that cannot be read now (permissions, I/O): left where it is.
        case unreadable(String)
    }

    /// `<state directory>/bots`, for messages.
    let path: String
    private let descriptor: CInt

    private init(path: String, descriptor: CInt) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Opens `<stateDirectory>/bots`, creating it (mode 0700) when `create` is set.
    ///
    /// - Returns: nil when the directory does not exist and `create` is not set.
    /// - Throws: when `bots` is a symlink or not a directory, or the system refuses; the error
    ///   names the path.
    static func open(stateDirectory: String, create: Bool) throws(StateFileError) -> BotsDirectory? {
        let path = stateDirectory + "/bots"
        // The state directory itself may be a symlink (systemd's DynamicUser= makes
        // /var/lib/botstatsd one) and only whoever may write its parent can replace it; `bots`
        // inside it is where a planted link could sit.
        let stateFD = Glibc.open(stateDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard stateFD >= 0 else {
            // A state directory that does not exist yet (a first dry run) holds nothing to read.
            if errno == ENOENT, !create { return nil }
            throw StateFileError(path: stateDirectory, reason: SystemErrorReason.verbatim(errno))
        }
        defer { close(stateFD) }
        var fd = openat(stateFD, "bots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0, errno == ENOENT {
            guard create else { return nil }
            if mkdirat(stateFD, "bots", 0o700) != 0, errno != EEXIST {
                throw StateFileError(path: path, reason: SystemErrorReason.verbatim(errno))
            }
            fd = openat(stateFD, "bots", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let code = errno
            var info = stat()
            if code == ELOOP || code == ENOTDIR, fstatat(stateFD, "bots", &info, AT_SYMLINK_NOFOLLOW) == 0 {
                let what = info.st_mode & S_IFMT == S_IFLNK ? "is a symbolic link" : "is not a directory"
                throw StateFileError(path: path, reason: "\(what); state is kept only in a real directory, so move it away")
            }
            throw StateFileError(path: path, reason: SystemErrorReason.verbatim(code))
        }
        return BotsDirectory(path: path, descriptor: fd)
    }

    /// The names in the directory, `.` and `..` left out.
    func entryNames() -> [String] {
        // fdopendir takes over the descriptor it is given, so it gets a copy; the copy shares the
        // read position, hence the rewind.
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return [] }
        guard let stream = fdopendir(copy) else {
            close(copy)
            return []
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole of file `name`, read without following a symlink and only when it is a regular
    /// file of at most `limit` bytes.
    func read(_ name: String, limit: Int) -> Read {
        // O_NONBLOCK: a FIFO planted under a state file's name must not hang the start.
        let fd = openat(descriptor, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return .missing
            case ELOOP: return .unusable("is a symbolic link")
            case let code: return .unreadable(SystemErrorReason.verbatim(code))
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .unreadable(SystemErrorReason.verbatim(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .unusable("is not a regular file") }
        guard info.st_size <= limit else { return .unusable("is larger than \(limit >> 20) MiB") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(SystemErrorReason.verbatim(errno))
            }
            if count == 0 { return .contents(bytes) }
            bytes += chunk.prefix(count)
            // The size can grow after fstat; the limit holds for what is read, too.
            if bytes.count > limit { return .unusable("is larger than \(limit >> 20) MiB") }
        }
    }

    /// Writes `bytes` as `name` atomically and durably: see `writeAtomically(_:)`.
    func writeAtomically(_ bytes: [UInt8], to name: String) throws(StateFileError) {
        if let failure = writeAtomically([(name: name, bytes: bytes)])[name] { throw failure }
    }

    /// Writes each file atomically (a new temporary file with an unpredictable name, created
    /// exclusively without following links, then renamed over the old one) and durably, with one
    /// flush for all of them: the data of every temporary file reaches the disk before any
    /// rename, and the directory after the renames.
    ///
    /// One file is flushed with `fsync`; several with one `syncfs` of their file system, which is
    /// what lets a thousand bots' `set`s share one flush instead of taking one each. A file that
    /// fails is reported by name; the others are still written.
    ///
    /// - Returns: the files that could not be written, with why.
    func writeAtomically(_ files: [(name: String, bytes: [UInt8])]) -> [String: StateFileError] {
        var failures: [String: StateFileError] = [:]
        var written: [(name: String, temp: String, fd: CInt)] = []
        for file in files {
            switch create(for: file.name) {
            case .failure(let failure):
                failures[file.name] = failure
            case .success(let (temp, fd)):
                if let failure = writeAll(file.bytes, to: fd, temp: temp) {
                    failures[file.name] = failure
                    close(fd)
                    unlinkat(descriptor, temp, 0)
                } else {
                    written.append((file.name, temp, fd))
                }
            }
        }
        var flushFailure: CInt?
        if written.count > 1, let syncfs = Self.syncfs, syncfs(descriptor) == 0 {
            // Flushed at once, every file with it.
        } else {
            for file in written where fsync(file.fd) != 0 { flushFailure = errno }
        }
        for file in written {
            if close(file.fd) != 0, flushFailure == nil { flushFailure = errno }
        }
        for file in written {
            if let flushFailure {
                failures[file.name] = error(file.temp, flushFailure)
                unlinkat(descriptor, file.temp, 0)
            } else if renameat(descriptor, file.temp, descriptor, file.name) != 0 {
                failures[file.name] = error(file.name, errno)
                unlinkat(descriptor, file.temp, 0)
            }
        }
        // Without this the renames may not survive a power cut. EINVAL: the file system cannot
        // sync a directory at all, which is no reason to refuse the counts.
        if written.count > failures.count, fsync(descriptor) != 0, errno != EINVAL {
            let code = errno
            for file in written where failures[file.name] == nil { failures[file.name] = error(file.name, code) }
        }
        return failures
    }

    /// A new temporary file for `name`, created exclusively and without following a link.
    private func create(for name: String) -> Result<(String, CInt), StateFileError> {
        var temp = ""
        for _ in 0..<8 {
            temp = ".\(name).\(String(UInt64.random(in: .min ... .max), radix: 16)).tmp"
            let fd = openat(descriptor, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 { return .success((temp, fd)) }
            if errno != EEXIST { break }
        }
        return .failure(error(temp, errno))
    }

    private func writeAll(_ bytes: [UInt8], to fd: CInt, temp: String) -> StateFileError? {
        bytes.withUnsafeBytes { raw -> StateFileError? in
            var offset = 0
            while offset < raw.count {
                let count = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return error(temp, errno)
                }
                offset += count
            }
            return nil
        }
    }

    /// `syncfs(2)`, which Glibc's Swift module does not declare; nil where libc lacks it.
    private static let syncfs: (@convention(c) (CInt) -> CInt)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (CInt) -> CInt).self)
    }()

    /// Renames `name` to a free `<name>.corrupt-<stamp>[-N]` and returns the new name, or the
    /// reason it could not. A link is renamed itself; what it points to is never touched.
    func moveAside(_ name: String, stamp: Int) -> Result<String, StateFileError> {
        var target = "\(name).corrupt-\(stamp)"
        var suffix = 1
        var info = stat()
        while fstatat(descriptor, target, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            target = "\(name).corrupt-\(stamp)-\(suffix)"
            suffix += 1
        }
        guard renameat(descriptor, name, descriptor, target) == 0 else { return .failure(error(name, errno)) }
        return .success(target)
    }

    /// Removes file (or link) `name`; a link's target is never touched.
    func remove(_ name: String) -> StateFileError? {
        unlinkat(descriptor, name, 0) == 0 ? nil : error(name, errno)
    }

    private func error(_ name: String, _ code: CInt) -> StateFileError {
        StateFileError(path: "\(path)/\(name)", reason: SystemErrorReason.verbatim(code))
    }
}
