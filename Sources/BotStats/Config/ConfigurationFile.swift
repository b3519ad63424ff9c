#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// One configuration file, read and parsed: its top-level table and its permission bits.
///
/// Reading goes through `RegularFile`, so a FIFO, a directory or a device where a file belongs is
/// an error at once instead of a hang, and a huge file is refused instead of read.
struct ConfigurationFile {
    /// A configuration file is a few KiB; this leaves room for comments and still bounds a reload.
    static let byteLimit = 1 << 20

    let reader: TableReader
    /// Permission bits, for the warning about inline tokens in a file others can read.
    let mode: mode_t

    /// The file at `path` (absolute), or nil after recording why it cannot be used in `issues`.
    static func parse(_ path: String, issues: ConfigurationIssues) -> ConfigurationFile? {
        let file: RegularFile
        switch RegularFile.read(path, byteLimit: byteLimit) {
        case .success(let read): file = read
        case .failure(let problem):
            issues.error(file: path, line: nil, keyPath: "", "cannot read the configuration: \(problem)")
            return nil
        }
        guard let text = String(validating: file.bytes, as: UTF8.self) else {
            issues.error(file: path, line: nil, keyPath: "", "cannot read the configuration: not UTF-8 text")
            return nil
        }
        do {
            let table = try TOMLParser.parse(text)
            return ConfigurationFile(reader: TableReader(table: table, path: "", file: path, issues: issues), mode: file.mode)
        } catch {
            issues.error(
                file: path, line: error.position.line, column: error.position.column, keyPath: "",
                "TOML syntax error: \(error.message)")
            return nil
        }
    }

    /// `bots.d/*.toml` in name order (hidden files left out); a missing directory holds none.
    static func dropIns(in directory: String, issues: ConfigurationIssues) -> [String] {
        guard let stream = opendir(directory) else {
            if errno != ENOENT {
                issues.error(
                    file: directory, line: nil, keyPath: "",
                    "cannot list the drop-in directory: \(errno == ENOTDIR ? "not a directory" : SystemErrorReason.verbatim(errno))")
            }
            return []
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name.hasSuffix(".toml"), !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted().map { directory + "/" + $0 }
    }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (directory.hasSuffix("/") ? directory : directory + "/") + path
    }

    /// The directory part of an absolute path: `/etc/botstatsd/botstatsd.toml` → `/etc/botstatsd`.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The file name without its extension: `bots.d/second.toml` → `second`.
    static func stem(of path: String) -> String {
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
