/// What a finished process left behind: its exit code and everything it printed.
struct ProcessResult: Sendable, CustomStringConvertible {
    /// The exit status; `128 + N` when the process died of signal `N`.
    let exitCode: Int32
    /// Everything written to standard output, decoded as UTF-8.
    let stdout: String
    /// Everything written to standard error, decoded as UTF-8.
    let stderr: String

    /// A summary for failure messages: the exit code and both streams.
    var description: String {
        "exit code \(exitCode)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)"
    }
}
