#if canImport(Glibc)
import Glibc
#endif

/// An `errno` in words for a sentence: `strerror`'s text, lower-cased as the first word of a
/// sentence is not (`connection refused`), so it reads well after a colon.
package enum SystemErrorReason {
    package static func text(_ code: CInt) -> String {
        let text = String(cString: strerror(code))
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }
}
