import ArgumentParser
import BotStats
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `botstatsctl`: the control client. Exit codes: 0 success, 1 the daemon answered with an
/// error, 2 usage error, 3 the daemon is not running.
@main
struct BotStatsCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botstatsctl",
        abstract: "Control a running botstatsd over its Unix socket.",
        version: BotStatsVersion.version,
        subcommands: [
            StatusCommand.self, SetCommand.self, PostCommand.self, ReloadCommand.self, MetricsCommand.self,
            CheckCommand.self,
        ])

    @OptionGroup var global: GlobalOptions

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CtlExit {
            Glibc.exit(failure.code)
        } catch let error as CleanExit {
            print(fullMessage(for: error))
            Glibc.exit(0)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Glibc.exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data("\(message)\n".utf8)) }
            // Anything ArgumentParser rejects is a usage error: exit 2 as SPEC §2 says.
            Glibc.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// An exit with a code already decided and the message already printed.
struct CtlExit: Error {
    let code: Int32
}
