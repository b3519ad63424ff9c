import Foundation
import Glibc
import Synchronization

/// A child process started with its output drained in the background and its exit status recorded.
///
/// This is the shared engine of ``ProcessRunner`` (run to completion) and ``DaemonHarness`` (long-running).
/// Standard input is `/dev/null`. Exit codes follow the shell convention: a normal exit gives its status, death
/// by signal `N` gives `128 + N` (so SIGKILL is 137, SIGTERM 143, SIGABRT 134).
final class RunningProcess: Sendable {
    /// Holds the exit code; a separate object because Process's termination handler (an escaping closure) must
    /// capture it before `self` exists, and a `Mutex` cannot be captured directly.
    private final class ExitCodeBox: Sendable {
        let value = Mutex<Int32?>(nil)
    }

    /// The child's process id.
    let pid: Int32
    /// The executable that was started.
    let executable: URL
    /// The child's standard output; the same collector as ``standardError`` when the streams were merged.
    let standardOutput: OutputCollector
    /// The child's standard error.
    let standardError: OutputCollector

    private let process: Process
    private let exitCode: ExitCodeBox

    /// Builds the child's environment: this process's environment, minus `removing`, plus `overrides`.
    static func environment(overrides: [String: String], removing: [String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in removing {
            environment.removeValue(forKey: key)
        }
        environment.merge(overrides) { _, override in override }
        return environment
    }

    /// Starts `executable` with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the complete environment of the child (see ``environment(overrides:removing:)``).
    ///   - workingDirectory: the child's current directory, or this process's when `nil`.
    ///   - mergeOutput: send stdout and stderr into one pipe, keeping their interleaving.
    ///   - copyOutputTo: a file that every output byte is appended to as well.
    init(
        executable: URL,
        arguments: [String],
        environment: [String: String],
        workingDirectory: URL? = nil,
        mergeOutput: Bool = false,
        copyOutputTo logFile: URL? = nil
    ) throws {
        let exitCode = ExitCodeBox()
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        if let workingDirectory {
            process.currentDirectoryURL = workingDirectory
        }
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { finished in
            let status = finished.terminationStatus
            let code = finished.terminationReason == .uncaughtSignal ? 128 + status : status
            exitCode.value.withLock { $0 = code }
        }

        var copyFD: Int32?
        if let logFile {
            let fd = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw SupportError.posix("open", errno, logFile.path)
            }
            copyFD = fd
        }

        let outPipe: (read: Int32, write: Int32)
        let errPipe: (read: Int32, write: Int32)?
        do {
            (outPipe, errPipe) = try Self.spawn(process, mergeOutput: mergeOutput)
        } catch {
            if let copyFD {
                Glibc.close(copyFD)
            }
            throw SupportError("could not start \(executable.path): \(error)")
        }

        let name = executable.lastPathComponent
        let out = OutputCollector(readingFrom: outPipe.read, copyingTo: copyFD, name: "\(name) stdout")
        self.standardOutput = out
        self.standardError =
            errPipe.map { OutputCollector(readingFrom: $0.read, name: "\(name) stderr") } ?? out
        self.pid = process.processIdentifier
        self.executable = executable
        self.process = process
        self.exitCode = exitCode
    }

    /// The exit code once the child has been reaped, `nil` while it runs.
    var exitStatus: Int32? {
        exitCode.value.withLock { $0 }
    }

    /// Sends `signal` to the child unless it has already been reaped (so a recycled pid is never hit).
    func send(signal: Int32) {
        guard exitStatus == nil else {
            return
        }
        Glibc.kill(pid, signal)
    }

    /// Waits up to `timeout` for the child to exit; returns its exit code, or `nil` if it is still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if let code = exitStatus {
                return code
            }
            if ContinuousClock.now >= deadline {
                return nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits (bounded) for both output streams to reach end of file, so captured text is complete.
    func drainOutput(timeout: Duration = .seconds(2)) async {
        _ = await standardOutput.waitUntilFinished(timeout: timeout)
        _ = await standardError.waitUntilFinished(timeout: timeout)
    }

    deinit {
        // A test that throws before stopping its child must not leave an orphan behind.
        if exitStatus == nil {
            Glibc.kill(pid, SIGKILL)
        }
    }

    /// Serialises pipe creation with spawning; see ``spawn(_:mergeOutput:)``.
    private static let spawnLock = Mutex(())

    /// Creates the output pipes, starts `process` writing into them and closes the parent's write ends.
    ///
    /// The pipes must not leak into a child that another test spawns at the same moment: that child would hold
    /// the write end open, and the reader would not see end of file until it exits. Foundation's `Process` does
    /// not close stray descriptors in the child and `pipe2(O_CLOEXEC)` is not visible through Glibc, so `pipe()`
    /// plus `FD_CLOEXEC` and the spawn happen under one lock. `Process` dup2()s the pipes onto 1 and 2, which
    /// clears the flag for this child only.
    private static func spawn(
        _ process: Process,
        mergeOutput: Bool
    ) throws -> (out: (read: Int32, write: Int32), err: (read: Int32, write: Int32)?) {
        try spawnLock.withLock { _ in
            let outPipe = try makePipe()
            var errPipe: (read: Int32, write: Int32)?
            do {
                if !mergeOutput {
                    errPipe = try makePipe()
                }
                process.standardOutput = FileHandle(fileDescriptor: outPipe.write, closeOnDealloc: false)
                process.standardError = FileHandle(fileDescriptor: (errPipe ?? outPipe).write, closeOnDealloc: false)
                try runWithSignalsUnblocked(process)
            } catch {
                close(outPipe, errPipe)
                throw error
            }
            // The parent's copies of the write ends must go, or the readers would never see end of file.
            Glibc.close(outPipe.write)
            if let errPipe {
                Glibc.close(errPipe.write)
            }
            return (outPipe, errPipe)
        }
    }

    /// Signals a child must receive as systemd would deliver them: unblocked.
    private static let signalsUnblockedInChild = [
        SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM,
    ]

    /// Starts `process` with the signals a daemon handles unblocked in the child.
    ///
    /// posix_spawn() gives the child the calling thread's signal mask, and the Swift concurrency pool's threads
    /// block nearly every signal: started from a test as is, `sh -c 'kill -TERM $$'` survives its own SIGTERM,
    /// and a daemon would start with SIGTERM and SIGHUP blocked, unlike under systemd. The mask of the calling
    /// thread is relaxed only for the spawn and restored at once. SIGCHLD stays as it was, so whatever reaps
    /// children in this process cannot lose one to this thread.
    private static func runWithSignalsUnblocked(_ process: Process) throws {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in signalsUnblockedInChild {
            sigaddset(&unblock, signal)
        }
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw SupportError.posix("pipe", errno)
        }
        // Called under spawnLock, so no spawn of ours sees the descriptors before FD_CLOEXEC is set.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    private static func close(_ pipes: (read: Int32, write: Int32)?...) {
        for pipe in pipes {
            if let pipe {
                Glibc.close(pipe.read)
                Glibc.close(pipe.write)
            }
        }
    }
}
