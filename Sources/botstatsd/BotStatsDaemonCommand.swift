import ArgumentParser
import BotStats
import BotStatsProtocol
import FoundationEssentials
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `botstatsd`: parse flags, load the configuration, build the daemon, run it.
@main
struct BotStatsDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botstatsd",
        abstract: "Keeps a Discord bot's server, user and shard counts posted on bot-list sites.",
        version: BotStatsVersion.description)

    @Option(name: .long, help: "Configuration file (default: $BOTSTATSD_CONFIG, else /etc/botstatsd/botstatsd.toml).")
    var config: String?

    @Flag(name: .long, help: "Validate the configuration, print OK or every error, and exit 0 or 78.")
    var checkConfig = false

    @Flag(name: .long, help: "Do everything except send requests to bot lists; log what would be sent.")
    var dryRun = false

    /// Blocks SIGTERM, SIGINT and SIGHUP before any other thread exists, so every thread
    /// inherits the mask, then parses the command line and runs.
    ///
    /// The service group receives these signals through a `signalfd` (libdispatch's signal
    /// sources on Linux), which reads them while they are blocked. Blocked from the first
    /// instruction, a SIGTERM that arrives while the daemon is still starting waits for the
    /// group instead of killing the process by its default action; with them unblocked, a stop
    /// asked for right after start could end the daemon by signal instead of gracefully.
    static func main() async {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&stopSignals, signal) }
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// Writes `message` and a newline to stderr.
    static func printError(_ message: String) {
        var bytes = Array((message + "\n").utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Takes the hard limit of open files as the soft one. Outside a unit with `LimitNOFILE=`
    /// the soft limit is often 1024, which many lists, scrapes and clients can use up; the hard
    /// limit is what the administrator allows.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }

    mutating func run() async throws {
        // systemd's watchdog ends a wedged daemon with SIGABRT. The Swift runtime's crash
        // backtracer catches it, cannot start under the unit's MemoryDenyWriteExecute=, and
        // returns, leaving the wedged daemon running until SIGKILL. SIGABRT must kill at once.
        signal(SIGABRT, SIG_DFL)
        Self.raiseOpenFileLimit()
        let environment = ProcessInfo.processInfo.environment
        let path = config ?? environment["BOTSTATSD_CONFIG"] ?? "/etc/botstatsd/botstatsd.toml"
        let loader = ConfigurationLoader(environment: .fromProcess(environment))
        let loaded: LoadedConfiguration
        do {
            loaded = try loader.load(path: path)
        } catch {
            for error in error.errors { Self.printError(error.description) }
            throw ExitCode(78)
        }
        if checkConfig {
            for warning in loaded.warnings { Self.printError("warning: \(warning)") }
            for notice in loaded.notices { Self.printError("notice: \(notice)") }
            print("OK")
            return
        }
        let configuration = loaded.configuration
        let logSettings = LiveLogSettings(level: configuration.daemon.logLevel, secrets: configuration.allSecrets)
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, settings: logSettings) }
        let logger = Logger(label: "botstatsd")
        for warning in loaded.warnings { logger.warning("\(warning)") }
        for notice in loaded.notices { logger.notice("\(notice)") }
        do {
            let application = try await DaemonApplication.build(
                configuration: configuration,
                options: DaemonOptions(
                    dryRun: dryRun, pid: Int(ProcessInfo.processInfo.processIdentifier),
                    inheritedControlSocket: SystemdNotifier.listenedDescriptor(named: "control"),
                    watchdogInterval: SystemdNotifier.watchdogInterval(), loader: loader, logSettings: logSettings),
                notifier: SystemdNotifier(), logger: logger)
            try await application.run()
        } catch {
            logger.critical("fatal: \(error)")
            throw ExitCode(1)
        }
    }
}
