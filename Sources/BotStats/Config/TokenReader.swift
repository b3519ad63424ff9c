import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Resolves a token from exactly one of `token_file`, `token_credential` or `token`.
///
/// Errors and warnings name the key and the file, never the token.
struct TokenReader {
    let environment: ConfigurationEnvironment
    let configDirectory: String
    /// Permission bits of the file holding the keys, for the inline-token warning.
    let configMode: mode_t?

    /// The token of `reader`'s table, using keys `<prefix>token_file` and friends.
    func token(in reader: TableReader, prefix: String = "", required: Bool = true) -> Secret? {
        let fileKey = prefix + "token_file"
        let credentialKey = prefix + "token_credential"
        let inlineKey = prefix + "token"
        let given = [fileKey, credentialKey, inlineKey].filter(reader.has)
        guard given.count <= 1 else {
            reader.error(given[1], "only one of \(fileKey), \(credentialKey) and \(inlineKey) may be set")
            return nil
        }
        guard let key = given.first else {
            if required {
                reader.error(fileKey, "missing: set one of \(fileKey), \(credentialKey) or \(inlineKey)")
            }
            return nil
        }
        guard let value = reader.string(key) else { return nil }
        let token: String
        switch key {
        case fileKey:
            guard !value.isEmpty else {
                reader.error(key, "must not be empty; give the path of a file holding the token")
                return nil
            }
            guard let text = readFile(resolve(value), reader: reader, key: key) else { return nil }
            token = text
        case credentialKey:
            guard !value.isEmpty, !value.contains("/"), value != ".", value != ".." else {
                reader.error(key, "'\(value)' is not a credential name")
                return nil
            }
            guard let directory = environment.credentialsDirectory else {
                reader.error(key, "CREDENTIALS_DIRECTORY is not set; token_credential needs systemd's LoadCredential= (or use token_file)")
                return nil
            }
            // The unit loads /etc/botstatsd/tokens/* as token_<file>; accept the short name too.
            var path = directory + "/" + value
            if access(path, F_OK) != 0, access(directory + "/token_" + value, F_OK) == 0 {
                path = directory + "/token_" + value
            }
            guard let text = readFile(path, reader: reader, key: key) else { return nil }
            token = text
        default:
            token = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if let mode = configMode, mode & 0o137 != 0 {
                let octal = String(mode & 0o777, radix: 8)
                reader.warning(
                    key, "inline token in a file with mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal); "
                        + "use token_file or token_credential, or chmod 0600 the file")
            }
        }
        guard !token.isEmpty else {
            reader.error(key, "the token is empty")
            return nil
        }
        guard !token.contains(where: { $0 == "\n" || $0 == "\r" }) else {
            reader.error(key, "the token spans several lines")
            return nil
        }
        return Secret(token)
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : configDirectory + "/" + path
    }

    private func readFile(_ path: String, reader: TableReader, key: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : String(cString: strerror(errno))
            reader.error(key, "\(path): \(reason)")
            return nil
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 65536 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                reader.error(key, "\(path): \(String(cString: strerror(errno)))")
                return nil
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        guard bytes.count <= 65536 else {
            reader.error(key, "\(path): larger than 64 KiB; not a token file")
            return nil
        }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
