import ArgumentParser
import BotStats
import Foundation

/// Options every botstatsctl command takes, before or after the command name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Control socket (default: $BOTSTATSD_SOCKET, else /run/botstatsd/control.sock).")
    var socket: String?

    @Option(name: .long, help: "How long to wait for the daemon, e.g. 5s or 2m (default 10s; post waits up to 2m).")
    var timeout: String?

    @Flag(name: .long, help: "Print the daemon's JSON result instead of text.")
    var json = false

    func validate() throws {
        if let timeout, DurationParser.parse(timeout) == nil {
            throw ValidationError("--timeout: '\(timeout)' is not a duration like 500ms, 10s or 2m")
        }
    }

    /// The socket path after flags and environment.
    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["BOTSTATSD_SOCKET"] ?? "/run/botstatsd/control.sock"
    }

    func timeout(default fallback: Duration) -> Duration {
        timeout.flatMap(DurationParser.parse) ?? fallback
    }

    /// Sends one request and returns the `result` object, or exits 1/3 with one stderr line.
    func call(_ request: [String: JSONValue], defaultTimeout: Duration = .seconds(10)) throws -> JSONValue {
        var request = request
        request["v"] = .number(1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let line = String(decoding: try encoder.encode(request), as: UTF8.self)
        let client = ControlClient(path: socketPath, timeout: timeout(default: defaultTimeout))
        let responseLine: String
        do {
            responseLine = try client.send(line)
        } catch .notRunning(let path, let reason) {
            fail(3, "botstatsctl: botstatsd is not running: cannot connect to \(path): \(reason)")
        } catch .exchange(let path, let reason) {
            fail(1, "botstatsctl: \(path): \(reason)")
        }
        guard let response = try? JSONParser.parse(responseLine.utf8),
              case .object(let object) = response
        else {
            fail(1, "botstatsctl: the daemon sent an unreadable answer")
        }
        if case .bool(true)? = object["ok"], let result = object["result"] {
            return result
        }
        if case .object(let error)? = object["error"], case .string(let code)? = error["code"],
           case .string(let message)? = error["message"]
        {
            if json {
                print(responseLine)
                throw CtlExit(code: 1)
            }
            fail(1, "botstatsctl: \(code): \(message)")
        }
        fail(1, "botstatsctl: the daemon sent an unreadable answer")
    }

    /// Prints `value` as JSON on stdout.
    func printJSON(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }
}

/// Prints one line to stderr and exits with `code`.
func fail(_ code: Int32, _ message: String) -> Never {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
    exit(code)
}
