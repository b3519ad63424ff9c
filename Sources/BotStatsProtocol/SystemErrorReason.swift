#if canImport(Glibc)
import Glibc
#endif

/// An `errno` in words for a sentence: `strerror`'s text, lower-cased as the first word of a
/// sentence is not (`connection refused`), so it reads well after a colon.
package enum SystemErrorReason {
    /// `strerror`'s text as the C library writes it (`No such file or directory`), for a reason
    /// that stands after a path and a colon the way `ls` and `cat` print it.
    package static func verbatim(_ code: CInt) -> String {
        String(cString: strerror(code))
    }

    /// `strerror`'s text with its first letter lower-cased, for a reason inside a sentence.
    package static func text(_ code: CInt) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }
}
