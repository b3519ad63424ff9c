#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// The bytes and mode of a regular file, read in a way that can never block or grow without bound.
///
/// Configuration and token files are opened with `O_NONBLOCK`, so a FIFO (or a device) in their
/// place is opened at once instead of waiting for a writer that never comes; anything that is not
/// a regular file is then refused, and at most `byteLimit` bytes are read. A reload must not wedge
/// the daemon on a file someone left in the wrong place.
struct RegularFile {
    /// The file's content.
    var bytes: [UInt8]
    /// The permission and type bits from `fstat` of the opened file (not of a symbolic link to it).
    var mode: mode_t

    /// Why a file could not be read, in words that fit after its path or key.
    struct Problem: Error, Equatable, CustomStringConvertible {
        /// True when nothing exists at the path (so the caller can say "no such file").
        var isMissing: Bool
        var description: String
    }

    /// The file at `path`, or why it cannot be used.
    static func read(_ path: String, byteLimit: Int) -> Result<RegularFile, Problem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { return .failure(problem(opening: path, errno: errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return .failure(Problem(isMissing: false, description: SystemErrorReason.verbatim(errno)))
        }
        if let kind = kindDescription(info.st_mode) {
            return .failure(Problem(isMissing: false, description: "is \(kind), not a regular file"))
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while bytes.count <= byteLimit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(isMissing: false, description: SystemErrorReason.verbatim(errno)))
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        guard bytes.count <= byteLimit else {
            return .failure(Problem(isMissing: false, description: "is larger than \(sizeDescription(byteLimit))"))
        }
        return .success(RegularFile(bytes: bytes, mode: info.st_mode))
    }

    /// What the file type bits name when they are not a regular file's, else nil.
    static func kindDescription(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a file"
        }
    }

    private static func problem(opening path: String, errno code: Int32) -> Problem {
        switch code {
        case ENOENT: return Problem(isMissing: true, description: "no such file")
        case EACCES: return Problem(isMissing: false, description: "permission denied")
        case ENOTDIR: return Problem(isMissing: true, description: "no such file (a directory on the way is a file)")
        case ELOOP: return Problem(isMissing: false, description: "too many levels of symbolic links")
        // A Unix socket cannot be opened at all; say what it is rather than "no such device".
        case ENXIO: return Problem(isMissing: false, description: "is a socket or a device without a driver, not a regular file")
        default: return Problem(isMissing: false, description: SystemErrorReason.verbatim(code))
        }
    }

    private static func sizeDescription(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}
