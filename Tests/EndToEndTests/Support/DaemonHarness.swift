import Foundation
import Glibc
import Testing

/// One real `botstatsd` process running in its own temporary directory, with its output captured.
///
/// Layout of ``directory`` (kept short for the 107-byte socket path limit):
/// ```
/// /tmp/bsd-e2e-XXXXXX/
///   botstatsd.toml   the configuration the test wrote
///   state/           for `state_directory`
///   control.sock     for `control_socket` (the daemon creates it)
///   daemon.log       stdout+stderr of every daemon started here, appended
/// ```
/// The daemon's environment is this process's minus anything systemd-related or botstatsd-related that a
/// developer's shell could leak in (`NOTIFY_SOCKET`, `LISTEN_*`, `WATCHDOG_*`, `BOTSTATSD_*`, `*_DIRECTORY`),
/// then the test's overrides. A harness that is dropped while its daemon runs kills it with SIGKILL.
///
/// ```swift
/// let daemon = try await DaemonHarness.start(configTOML: TestConfiguration(bot: .init(id: "42")).render)
/// let result = try await daemon.ctl(["set", "--servers", "10"])
/// #expect(try await daemon.stop() == 0)
/// daemon.cleanup()
/// ```
final class DaemonHarness: Sendable {
    /// Environment variables removed before the test's overrides are applied.
    static let isolatedEnvironmentKeys = [
        "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID",
        "BOTSTATSD_CONFIG", "BOTSTATSD_SOCKET", "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CREDENTIALS_DIRECTORY",
        "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY", "CACHE_DIRECTORY", "INVOCATION_ID", "JOURNAL_STREAM",
    ]

    /// The temporary directory holding config, state, socket and log.
    let directory: URL
    /// The extra arguments the daemon was started with (after `--config PATH`).
    let extraArgs: [String]
    /// The environment overrides the daemon was started with.
    let environment: [String: String]
    /// The notification socket passed as `NOTIFY_SOCKET`, if any; the caller owns and closes it.
    let notifySocket: NotifySocket?
    /// The executable started: ``Binaries/daemon`` unless the test gave another.
    let executable: URL

    private let process: RunningProcess

    private init(
        directory: URL,
        extraArgs: [String],
        environment: [String: String],
        notifySocket: NotifySocket?,
        executable: URL,
        process: RunningProcess
    ) {
        self.directory = directory
        self.extraArgs = extraArgs
        self.environment = environment
        self.notifySocket = notifySocket
        self.executable = executable
        self.process = process
    }

    // MARK: Paths

    /// `<dir>/botstatsd.toml`.
    var configFile: URL { Self.configFile(in: directory) }
    /// `<dir>/control.sock`, the path the tests' `[daemon] control_socket` should name.
    var controlSocket: String { Self.controlSocket(in: directory) }
    /// `<dir>/state`, the directory the tests' `[daemon] state_directory` should name.
    var stateDirectory: URL { Self.stateDirectory(in: directory) }
    /// `<dir>/daemon.log`, a copy of the captured output of every daemon started in this directory.
    var logFile: URL { directory.appendingPathComponent("daemon.log") }
    /// The daemon's process id.
    var pid: Int32 { process.pid }
    /// The executable's file name, for messages.
    private var name: String { executable.lastPathComponent }
    /// Whether the daemon has not exited yet.
    var isRunning: Bool { process.exitStatus == nil }

    /// The `[daemon]` table pointing the control socket and state directory into `dir`, with debug logging.
    static func daemonSection(_ dir: URL) -> String {
        """
        [daemon]
        control_socket = "\(controlSocket(in: dir))"
        state_directory = "\(stateDirectory(in: dir).path)"
        log_level = "debug"

        """
    }

    /// Writes `token` to `<dir>/tokens/<name>` with mode 0600 and returns the path, for a target's `token_file`.
    @discardableResult
    static func writeToken(_ token: String, named name: String, in dir: URL) throws -> String {
        let tokens = dir.appendingPathComponent("tokens", isDirectory: true)
        try FileManager.default.createDirectory(
            at: tokens,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let file = tokens.appendingPathComponent(name)
        try Data(token.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        return file.path
    }

    // MARK: Starting

    /// Creates a fresh temporary directory, writes the configuration and starts the daemon there.
    ///
    /// - Parameters:
    ///   - configTOML: returns the text of `botstatsd.toml`; it receives the directory (with `state/` already
    ///     created) so it can place token files or state files and name them. Pass
    ///     ``TestConfiguration/render(in:)``; hand-written TOML starts with ``daemonSection(_:)``.
    ///   - extraArgs: arguments after `--config PATH`, e.g. `["--dry-run"]`.
    ///   - environment: variables set for the daemon, e.g. `["WATCHDOG_USEC": "2000000"]`.
    ///   - notifySocket: passed as `NOTIFY_SOCKET`; without it the variable is unset.
    ///   - waitForSocket: wait (up to 10 s) until `control.sock` accepts a connection; throws with the exit
    ///     code and output if the daemon exits first. Pass `false` for daemons expected to fail at start.
    ///   - daemonExecutable: the program to start instead of `botstatsd` (the harness's own tests use a script).
    static func start(
        configTOML: (_ dir: URL) throws -> String,
        extraArgs: [String] = [],
        environment: [String: String] = [:],
        notifySocket: NotifySocket? = nil,
        waitForSocket: Bool = true,
        daemonExecutable: URL? = nil
    ) async throws -> DaemonHarness {
        let directory = try TemporaryDirectory.make(prefix: "bsd-e2e-")
        try writeConfig(configTOML, in: directory)
        return try await start(
            in: directory,
            extraArgs: extraArgs,
            environment: environment,
            notifySocket: notifySocket,
            waitForSocket: waitForSocket,
            daemonExecutable: daemonExecutable
        )
    }

    /// Starts the daemon in an existing directory, keeping its state; rewrites the configuration only when
    /// `configTOML` is given. Use it (or ``restart(configTOML:waitForSocket:)``) to prove what survives a
    /// restart. The other parameters are those of the fresh-directory `start`.
    static func start(
        in directory: URL,
        configTOML: ((_ dir: URL) throws -> String)? = nil,
        extraArgs: [String] = [],
        environment: [String: String] = [:],
        notifySocket: NotifySocket? = nil,
        waitForSocket: Bool = true,
        daemonExecutable: URL? = nil
    ) async throws -> DaemonHarness {
        let fileManager = FileManager.default
        if let configTOML {
            try writeConfig(configTOML, in: directory)
        }
        guard fileManager.fileExists(atPath: configFile(in: directory).path) else {
            throw SupportError("no configuration at \(configFile(in: directory).path); pass configTOML")
        }
        try fileManager.createDirectory(at: stateDirectory(in: directory), withIntermediateDirectories: true)

        var overrides = environment
        if let notifySocket, overrides["NOTIFY_SOCKET"] == nil {
            overrides["NOTIFY_SOCKET"] = notifySocket.path
        }
        let arguments = ["--config", configFile(in: directory).path] + extraArgs
        let logFile = directory.appendingPathComponent("daemon.log")
        let executable = try daemonExecutable ?? Binaries.daemon
        try appendMarker("==== \(executable.path) \(arguments.joined(separator: " "))\n", to: logFile)

        let process = try RunningProcess(
            executable: executable,
            arguments: arguments,
            environment: RunningProcess.environment(overrides: overrides, removing: isolatedEnvironmentKeys),
            workingDirectory: directory,
            mergeOutput: true,
            copyOutputTo: logFile
        )
        let harness = DaemonHarness(
            directory: directory,
            extraArgs: extraArgs,
            environment: environment,
            notifySocket: notifySocket,
            executable: executable,
            process: process
        )
        if waitForSocket {
            try await harness.waitForControlSocket(timeout: .seconds(10))
        }
        return harness
    }

    /// Stops this daemon if it still runs (SIGTERM, see ``stop()``), then starts a new one in the same
    /// directory with the same executable, arguments, environment and notify socket, keeping the state
    /// directory and appending to `daemon.log`.
    ///
    /// - Parameter configTOML: a new configuration to write first; `nil` keeps the current file.
    func restart(
        configTOML: ((_ dir: URL) throws -> String)? = nil,
        waitForSocket: Bool = true
    ) async throws -> DaemonHarness {
        if isRunning {
            _ = try await stop()
        }
        return try await Self.start(
            in: directory,
            configTOML: configTOML,
            extraArgs: extraArgs,
            environment: environment,
            notifySocket: notifySocket,
            waitForSocket: waitForSocket,
            daemonExecutable: executable
        )
    }

    /// Replaces `botstatsd.toml` atomically without signalling the daemon; follow with `signal(SIGHUP)` or
    /// `ctl(["reload"])`.
    func writeConfig(_ configTOML: (_ dir: URL) throws -> String) throws {
        try Self.writeConfig(configTOML, in: directory)
    }

    /// Waits until the control socket exists and accepts a connection.
    ///
    /// - Throws: ``SupportError`` with the exit code and output when the daemon exits first, or when `timeout`
    ///   passes (the daemon is then killed).
    func waitForControlSocket(timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let code = process.exitStatus {
                await process.drainOutput()
                throw SupportError(
                    "\(name) exited with code \(code) before \(controlSocket) accepted connections "
                        + "(directory kept: \(directory.path))\n--- output ---\n\(log())"
                )
            }
            if UnixSocketAddress.acceptsConnections(path: controlSocket) {
                return
            }
            if ContinuousClock.now >= deadline {
                process.send(signal: SIGKILL)
                _ = await process.waitForExit(timeout: .seconds(5))
                await process.drainOutput(timeout: .milliseconds(500))
                throw SupportError(
                    "\(controlSocket) did not accept connections within \(timeout); \(name) was killed "
                        + "(directory kept: \(directory.path))\n--- output ---\n\(log())"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Talking to it

    /// Runs `botstatsctl --socket <controlSocket> args…` and returns its exit code and output.
    ///
    /// `BOTSTATSD_SOCKET` is removed from the inherited environment; `environment` is applied on top.
    func ctl(
        _ args: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(20)
    ) async throws -> ProcessResult {
        try await ProcessRunner.run(
            Binaries.control,
            ["--socket", controlSocket] + args,
            environment: environment,
            removing: ["BOTSTATSD_SOCKET"],
            timeout: timeout
        )
    }

    /// Sends one JSON request line over a fresh control connection and returns the parsed response object.
    ///
    /// Blocks the calling thread for at most `timeout`.
    func request(_ json: String, timeout: Duration = .seconds(10)) throws -> [String: Any] {
        let client = try RawControlClient.connect(path: controlSocket)
        defer { client.close() }
        return try client.request(json, timeout: timeout)
    }

    // MARK: Output

    /// `botstatsctl status --json`, parsed; records an issue when the command fails.
    func statusJSON() async throws -> [String: Any] {
        let result = try await ctl(["status", "--json"])
        #expect(result.exitCode == 0, "status failed: \(result.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// Polls `status --json` until `condition` holds for it, and returns that status.
    ///
    /// - Throws: ``SupportError`` naming `what` and quoting the last status when `timeout` passes.
    @discardableResult
    func waitForStatus(
        _ what: String, timeout: Duration = .seconds(10), _ condition: ([String: Any]) throws -> Bool
    ) async throws -> [String: Any] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var last: [String: Any] = [:]
        while true {
            let result = try await ctl(["status", "--json"])
            if result.exitCode == 0,
                let status = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            {
                last = status
                if (try? condition(status)) == true { return status }
            }
            guard ContinuousClock.now < deadline else {
                throw SupportError("waited \(timeout) for \(what); last status: \(last)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Everything the daemon wrote to stdout and stderr so far, interleaved as written.
    func log() -> String {
        process.standardOutput.text()
    }

    /// How many times `text` occurs in the captured output so far.
    func logCount(of text: String) -> Int {
        log().components(separatedBy: text).count - 1
    }

    /// Waits until the captured output contains `text`, at least `occurrences` times.
    ///
    /// - Throws: ``SupportError`` quoting the output when `timeout` passes or the daemon exits without writing it.
    func waitForLog(containing text: String, occurrences: Int = 1, timeout: Duration) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let times = occurrences == 1 ? "" : " \(occurrences) times"
        while true {
            if logCount(of: text) >= occurrences {
                return
            }
            if let code = process.exitStatus {
                await process.drainOutput()
                if logCount(of: text) >= occurrences {
                    return
                }
                throw SupportError(
                    "\(name) exited with code \(code) without logging \"\(text)\"\(times)\n--- output ---\n\(log())"
                )
            }
            if ContinuousClock.now >= deadline {
                throw SupportError(
                    "\(name) did not log \"\(text)\"\(times) within \(timeout)\n--- output ---\n\(log())"
                )
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: Stopping

    /// Sends `sig` (e.g. `SIGHUP`, `SIGTERM`) to the daemon, unless it has already exited.
    func signal(_ sig: Int32) {
        process.send(signal: sig)
    }

    /// Waits for the daemon to exit and returns its exit code (`128 + N` for death by signal `N`).
    ///
    /// - Throws: ``SupportError`` when it is still running after `timeout` (it is left running).
    func waitForExit(timeout: Duration) async throws -> Int32 {
        guard let code = await process.waitForExit(timeout: timeout) else {
            throw SupportError("\(name) (pid \(pid)) still running after \(timeout)\n--- output ---\n\(log())")
        }
        await process.drainOutput()
        return code
    }

    /// Stops the daemon gracefully: SIGTERM, up to 10 s to exit, then SIGKILL.
    ///
    /// - Returns: the exit code; 0 for a clean shutdown, 137 when SIGKILL was needed.
    @discardableResult
    func stop() async throws -> Int32 {
        process.send(signal: SIGTERM)
        if let code = await process.waitForExit(timeout: .seconds(10)) {
            await process.drainOutput()
            return code
        }
        return try await kill9()
    }

    /// Kills the daemon with SIGKILL (no graceful shutdown, no state save) and waits for it; returns 137.
    @discardableResult
    func kill9() async throws -> Int32 {
        process.send(signal: SIGKILL)
        return try await waitForExit(timeout: .seconds(10))
    }

    /// Kills the daemon if it still runs and removes the temporary directory. Skip it to keep the directory
    /// (and `daemon.log`) for a failed test.
    func cleanup() {
        process.send(signal: SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Private

    /// Creates `dir/state/` if missing, then writes `configTOML(dir)` to `dir/botstatsd.toml` atomically.
    private static func writeConfig(_ configTOML: (_ dir: URL) throws -> String, in dir: URL) throws {
        try FileManager.default.createDirectory(at: stateDirectory(in: dir), withIntermediateDirectories: true)
        try Data(configTOML(dir).utf8).write(to: configFile(in: dir), options: .atomic)
    }

    private static func configFile(in dir: URL) -> URL {
        dir.appendingPathComponent("botstatsd.toml")
    }

    private static func controlSocket(in dir: URL) -> String {
        dir.appendingPathComponent("control.sock").path
    }

    private static func stateDirectory(in dir: URL) -> URL {
        dir.appendingPathComponent("state", isDirectory: true)
    }

    private static func appendMarker(_ line: String, to file: URL) throws {
        let fd = open(file.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SupportError.posix("open", errno, file.path)
        }
        defer { close(fd) }
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
