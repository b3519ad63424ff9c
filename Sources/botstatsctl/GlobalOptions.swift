import ArgumentParser
import BotStatsProtocol
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Options every botstatsctl command takes, before or after the command name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Control socket (default: $BOTSTATSD_SOCKET, else /run/botstatsd/control.sock).")
    var socket: String?

    @Option(name: .long, help: "Use the daemon's network intake at this http:// URL instead of the socket (set, status and check only).")
    var url: String?

    @Option(name: .customLong("token-file"), help: "With --url: the file holding this client's intake token.")
    var tokenFile: String?

    @Option(name: .long, help: "How long to wait for the daemon, e.g. 5s or 2m (default 10s; post 2m, reload 30s).")
    var timeout: String?

    @Flag(name: .long, help: "Print the daemon's JSON result instead of text.")
    var json = false

    func validate() throws {
        if let timeout {
            guard let duration = DurationParser.parse(timeout) else {
                throw ValidationError("--timeout: '\(timeout)' is not a duration like 500ms, 10s or 2m")
            }
            guard duration > .zero else { throw ValidationError("--timeout must be longer than 0s") }
        }
        if url != nil, socket != nil { throw ValidationError("--url and --socket exclude each other") }
        if url != nil, tokenFile == nil { throw ValidationError("--url needs --token-file: the intake answers only clients with a token") }
        if url == nil, tokenFile != nil { throw ValidationError("--token-file goes with --url") }
    }

    /// The socket path after flags and environment.
    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["BOTSTATSD_SOCKET"] ?? "/run/botstatsd/control.sock"
    }

    func timeout(default fallback: Duration) -> Duration {
        timeout.flatMap(DurationParser.parse) ?? fallback
    }

    /// Why the daemon could not be asked: exit 3 (not running or unreachable) or 1.
    struct Unanswered: Error {
        let code: Int32
        let message: String
    }

    /// Sends `request` and returns its `result`, throwing `Unanswered` when no answer came and
    /// exiting 1 (with the daemon's error on stderr, or as JSON with `--json`) when it refused.
    func answer(_ request: ControlRequest, defaultTimeout: Duration = .seconds(10)) throws -> JSONValue {
        let line = try exchange(request, timeout: timeout(default: defaultTimeout))
        guard let response = try? JSONParser.parse(line.utf8), case .object(let object) = response else {
            fail(1, "botstatsctl: the daemon sent an unreadable answer")
        }
        if case .bool(true)? = object["ok"], let result = object["result"] {
            return result
        }
        if case .object(let error)? = object["error"], case .string(let code)? = error["code"],
            case .string(let message)? = error["message"]
        {
            if json {
                print(line)
                throw CtlExit(code: 1)
            }
            fail(1, "botstatsctl: \(code): \(TerminalText.removingControls(message))")
        }
        fail(1, "botstatsctl: the daemon sent an unreadable answer")
    }

    /// `answer(_:)`, exiting 3 or 1 with one stderr line when no answer came.
    func call(_ request: ControlRequest, defaultTimeout: Duration = .seconds(10)) throws -> JSONValue {
        do {
            return try answer(request, defaultTimeout: defaultTimeout)
        } catch let unanswered as Unanswered {
            fail(unanswered.code, unanswered.message)
        }
    }

    /// One request, one response line, over the socket or the intake.
    private func exchange(_ request: ControlRequest, timeout: Duration) throws -> String {
        guard let url else {
            do {
                return try ControlClient(path: socketPath, timeout: timeout).send(request.line)
            } catch .notRunning(let path, let reason) {
                throw Unanswered(code: 3, message: "botstatsctl: botstatsd is not running: cannot connect to \(path): \(reason)")
            } catch .exchange(let path, let reason) {
                throw Unanswered(code: 1, message: "botstatsctl: \(path): \(reason)")
            }
        }
        let method: String
        let path: String
        let body: String?
        switch request {
        case .set(let bot, let update):
            (method, path, body) = ("POST", "/v1/bots/\(bot ?? "main")/counts", update.intakeBody)
        case .status(let bot):
            (method, path, body) = ("GET", "/v1/bots/\(bot ?? "main")/status", nil)
        default:
            printError("botstatsctl: \(request.name) needs the control socket; the intake (--url) takes set, status and check")
            throw CtlExit(code: 2)
        }
        do {
            let client = try IntakeHTTPClient(url: url, token: try readToken(), timeout: timeout)
            return try client.send(method: method, path: path, body: body).body
        } catch .unreachable(let address, let reason) {
            throw Unanswered(code: 3, message: "botstatsctl: botstatsd is not reachable: cannot connect to \(address): \(reason)")
        } catch .exchange(let address, let reason) {
            throw Unanswered(code: 1, message: "botstatsctl: \(address): \(reason)")
        } catch .badURL(let reason) {
            printError("botstatsctl: --url \(reason)")
            throw CtlExit(code: 2)
        }
    }

    /// The intake token from `--token-file`: one line, surrounding whitespace dropped.
    private func readToken() throws(IntakeHTTPClient.Failure) -> String {
        guard let tokenFile, let file = fopen(tokenFile, "r") else {
            fail(2, "botstatsctl: --token-file \(tokenFile ?? ""): \(SystemErrorReason.verbatim(errno))")
        }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { fail(2, "botstatsctl: --token-file \(tokenFile): empty") }
        let token = String(String(cString: buffer).trimmingPrefix { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            fail(2, "botstatsctl: --token-file \(tokenFile): not a token (one line of printable ASCII)")
        }
        return token
    }

    /// Prints `value` as JSON on stdout.
    func printJSON(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}

/// Decodes a result object into a protocol type.
func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) -> T? {
    guard let data = try? JSONEncoder().encode(value) else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .rfc3339
    return try? decoder.decode(type, from: data)
}
