import Foundation
import Glibc

/// Runs a program to completion and captures its exit code, standard output and standard error.
///
/// Both streams are drained concurrently on their own threads, so a program that fills one pipe while the
/// other is being read cannot deadlock. Standard input is `/dev/null`.
enum ProcessRunner {
    /// Runs `executable` with `arguments` and waits for it to exit.
    ///
    /// - Parameters:
    ///   - environment: variables set on top of this process's environment.
    ///   - removing: variables removed from the inherited environment before `environment` is applied.
    ///   - workingDirectory: the child's current directory, or this process's when `nil`.
    ///   - timeout: how long the program may run; it is then killed with SIGKILL and this throws, quoting what
    ///     it had printed so far.
    /// - Returns: the exit code (`128 + N` for death by signal `N`) and the decoded output.
    static func run(
        _ executable: URL,
        _ arguments: [String],
        environment: [String: String] = [:],
        removing: [String] = [],
        workingDirectory: URL? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> ProcessResult {
        let child = try RunningProcess(
            executable: executable,
            arguments: arguments,
            environment: RunningProcess.environment(overrides: environment, removing: removing),
            workingDirectory: workingDirectory
        )
        guard let exitCode = await child.waitForExit(timeout: timeout) else {
            child.send(signal: SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(5))
            await child.drainOutput(timeout: .milliseconds(500))
            let command = ([executable.path] + arguments).joined(separator: " ")
            throw SupportError(
                """
                \(command) did not exit within \(timeout) and was killed
                --- stdout so far ---
                \(child.standardOutput.text())
                --- stderr so far ---
                \(child.standardError.text())
                """
            )
        }
        await child.drainOutput()
        return ProcessResult(
            exitCode: exitCode,
            stdout: child.standardOutput.text(),
            stderr: child.standardError.text()
        )
    }

    /// Runs a program found on `PATH` (like `curl` or `sh`); otherwise as
    /// ``run(_:_:environment:removing:workingDirectory:timeout:)``.
    ///
    /// - Throws: ``SupportError`` when no executable of that name is on `PATH`.
    static func run(
        command: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        removing: [String] = [],
        timeout: Duration = .seconds(20)
    ) async throws -> ProcessResult {
        guard let executable = which(command) else {
            throw SupportError("\(command) is not installed (not found on PATH)")
        }
        return try await run(
            executable,
            arguments,
            environment: environment,
            removing: removing,
            timeout: timeout
        )
    }

    /// The first executable named `command` on `PATH`, or `nil`.
    static func which(_ command: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(command)
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }
}
