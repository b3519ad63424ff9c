#if canImport(Glibc)
import Glibc
import BotStatsProtocol
#endif

/// Resolves a token from exactly one of `token_file`, `token_credential` or `token`.
///
/// Errors and warnings name the key, its file and line, never the token, and never the value of
/// `token_file` or `token_credential` either: a token pasted where a path belongs would otherwise
/// reach the journal, `STATUS=` and `reload`'s answer through its "no such file".
///
/// `token_credential = NAME` reads `$CREDENTIALS_DIRECTORY/NAME` (or `…/token_NAME`, the name the
/// shipped unit's `LoadCredential=token:/etc/botstatsd/tokens` gives `/etc/botstatsd/tokens/NAME`).
/// Outside the unit, where `CREDENTIALS_DIRECTORY` is unset (`botstatsd --check-config` run by
/// hand), it reads `NAME` from `tokens/` beside the main configuration file: the directory the
/// unit loads credentials from, so the documented check works on the installed example.
struct TokenReader {
    /// Token files are a few hundred bytes; anything this large is not one.
    static let byteLimit = 65536

    let environment: ConfigurationEnvironment
    /// Directory of the file holding the keys: relative `token_file` paths start here.
    let configDirectory: String
    /// `tokens/` beside the main configuration file, read for `token_credential` outside systemd.
    let credentialFallbackDirectory: String
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
        let result: Result<String, TokenProblem>
        switch key {
        case fileKey:
            guard let token = fromFile(value, reader: reader, key: key) else { return nil }
            result = token
        case credentialKey:
            guard let token = fromCredential(value, reader: reader, key: key) else { return nil }
            result = token
        default:
            result = TokenText.fromInline(value)
            if let mode = configMode, mode & 0o137 != 0 {
                reader.warning(
                    key,
                    "inline token in a file with mode \(Self.octal(mode)); "
                        + "use token_file or token_credential, or chmod 0600 the file")
            }
        }
        switch result {
        case .success(let token):
            return Secret(token)
        case .failure(let problem):
            reader.error(key, problem.description)
            return nil
        }
    }

    private func fromFile(_ value: String, reader: TableReader, key: String) -> Result<String, TokenProblem>? {
        guard !value.isEmpty else {
            reader.error(key, "must not be empty; give the path of a file holding the token")
            return nil
        }
        let path = value.hasPrefix("/") ? value : configDirectory + "/" + value
        switch RegularFile.read(path, byteLimit: Self.byteLimit) {
        case .success(let file):
            if file.mode & 0o137 != 0 {
                reader.warning(
                    key,
                    "the token file has mode \(Self.octal(file.mode)), so other users can read the token; "
                        + "chmod 0600 it (0640 to share it with a group)")
            }
            return TokenText.fromFile(file.bytes)
        case .failure(let problem):
            var message = problem.description
            if problem.isMissing {
                if !value.hasPrefix("/") { message += " (relative paths start at \(configDirectory))" }
                if !value.contains("/") && value.count >= 16 {
                    message += "; if this is the token itself, put it in a file and name the file here"
                }
            }
            reader.error(key, message)
            return nil
        }
    }

    private func fromCredential(_ value: String, reader: TableReader, key: String) -> Result<String, TokenProblem>? {
        guard !value.isEmpty, !value.contains("/"), value != ".", value != ".." else {
            reader.error(key, "is not a credential name (a file name without '/')")
            return nil
        }
        let directory: String
        let candidates: [String]
        let whereToLook: String
        if let credentials = environment.credentialsDirectory {
            // The unit loads /etc/botstatsd/tokens/* as token_<file>; accept the short name too.
            directory = credentials
            candidates = [value, "token_" + value]
            whereToLook = "no such credential in $CREDENTIALS_DIRECTORY (\(credentials)); the unit's LoadCredential= must provide it"
        } else {
            directory = credentialFallbackDirectory
            candidates = value.hasPrefix("token_") ? [value, String(value.dropFirst(6))] : [value]
            whereToLook =
                "CREDENTIALS_DIRECTORY is not set (not started by systemd), so the credential is read from "
                + "\(credentialFallbackDirectory), the directory the unit loads credentials from "
                + "(LoadCredential=token:\(credentialFallbackDirectory)); it has no file of that name"
        }
        var chosen = directory + "/" + candidates[0]
        for name in candidates where access(directory + "/" + name, F_OK) == 0 {
            chosen = directory + "/" + name
            break
        }
        switch RegularFile.read(chosen, byteLimit: Self.byteLimit) {
        case .success(let file):
            if environment.credentialsDirectory == nil, file.mode & 0o137 != 0 {
                reader.warning(
                    key,
                    "the credential's file in \(credentialFallbackDirectory) has mode \(Self.octal(file.mode)), "
                        + "so other users can read the token; chmod 0600 it")
            }
            return TokenText.fromFile(file.bytes)
        case .failure(let problem):
            reader.error(key, problem.isMissing ? whereToLook : "the credential's file \(problem.description)")
            return nil
        }
    }

    /// `0644`: permission bits as `chmod` takes them.
    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode & 0o777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
