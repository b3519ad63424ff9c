import Glibc

/// A failure of the end-to-end test support itself: a timeout, a process that died early, a socket that would
/// not open.
///
/// The description is the whole message, written for the person reading a failed test run: it names what was
/// awaited, for how long, and what was seen instead.
struct SupportError: Error, CustomStringConvertible {
    /// The message shown when a test fails with this error.
    let description: String

    /// Creates an error with a readable message.
    init(_ description: String) {
        self.description = description
    }

    /// Creates an error for a failed system call, naming the call, the errno value and its text.
    static func posix(_ call: String, _ code: Int32, _ context: String = "") -> SupportError {
        let reason = String(cString: strerror(code))
        let suffix = context.isEmpty ? "" : " (\(context))"
        return SupportError("\(call) failed: \(reason) [errno \(code)]\(suffix)")
    }
}
