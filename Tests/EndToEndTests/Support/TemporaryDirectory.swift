import Foundation
import Glibc

/// Creates short, unique scratch directories under `/tmp`.
///
/// `/tmp` is used rather than `FileManager.temporaryDirectory` because `TMPDIR` may be long, and the control
/// and notify sockets placed inside must stay within the 107-byte Unix socket path limit.
enum TemporaryDirectory {
    /// Creates a new directory `/tmp/<prefix>XXXXXX` (mode 0700) and returns its URL.
    static func make(prefix: String) throws -> URL {
        var template = Array("/tmp/\(prefix)XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!)
        }
        guard created != nil else {
            throw SupportError.posix("mkdtemp", errno, "/tmp/\(prefix)XXXXXX")
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return URL(fileURLWithPath: path, isDirectory: true)
    }
}
