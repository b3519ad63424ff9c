import ArgumentParser
import BotStatsProtocol

#if canImport(Glibc)
import Glibc
#endif

/// `botstatsctl`: the control client. Exit codes: 0 success, 1 the daemon answered with an
/// error, 2 usage error, 3 the daemon is not running (or, for `check`, UNKNOWN).
@main
struct BotStatsCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botstatsctl",
        abstract: "Control a running botstatsd over its Unix socket (or its network intake with --url).",
        discussion: """
            Exit status: 0 success, 1 the daemon answered with an error (or a post failed), 2 usage error, \
            3 the daemon is not running (the socket is missing or refuses connections).
            """,
        version: BotStatsVersion.description,
        subcommands: [
            StatusCommand.self, SetCommand.self, PostCommand.self, ReloadCommand.self, MetricsCommand.self,
            CheckCommand.self,
        ])

    @OptionGroup var global: GlobalOptions

    /// No subcommand is a usage error: the usage goes to stderr and the exit status is 2.
    func run() throws {
        printError(Self.helpMessage())
        throw CtlExit(code: 2)
    }

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CtlExit {
            Glibc.exit(failure.code)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Glibc.exit(0)
            }
            if !message.isEmpty { printError(message) }
            // Anything ArgumentParser rejects is a usage error: exit 2 as botstatsctl(1) says.
            Glibc.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// An exit with a code already decided and the message already printed.
struct CtlExit: Error {
    let code: Int32
}

/// Writes `message` and a newline to stderr.
func printError(_ message: String) {
    var bytes = Array((message + "\n").utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written < 0, errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

/// Prints one line to stderr and exits with `code`.
func fail(_ code: Int32, _ message: String) -> Never {
    printError(message)
    exit(code)
}
