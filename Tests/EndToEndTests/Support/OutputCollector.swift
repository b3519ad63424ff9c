import Foundation
import Glibc
import Synchronization

/// Drains one pipe on a dedicated thread, keeping every byte in memory and optionally appending it to a file.
///
/// Reading on a plain thread (not a Swift concurrency task) keeps blocking `read(2)` calls off the cooperative
/// pool, and draining continuously means a chatty child never blocks on a full pipe. The collector owns the
/// read descriptor (and the copy descriptor, if any) and closes them at end of file.
final class OutputCollector: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var finished = false
    }

    private let state = Mutex(State())

    /// Starts draining `fd` on a new thread named `name`; every chunk is also written to `copyFD` when given.
    init(readingFrom fd: Int32, copyingTo copyFD: Int32? = nil, name: String) {
        let thread = Thread { [self] in
            self.drain(fd, copyFD)
        }
        thread.name = name
        thread.start()
    }

    /// Everything read so far, decoded as UTF-8 (invalid sequences are replaced, never dropped silently).
    func text() -> String {
        state.withLock { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Whether the writing side has closed and every byte has been read.
    var isFinished: Bool {
        state.withLock { $0.finished }
    }

    /// Waits until end of file or `timeout`, whichever comes first; returns whether end of file was reached.
    ///
    /// A grandchild that inherited the pipe can hold it open after the child exits, so callers bound this wait.
    func waitUntilFinished(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while !isFinished {
            if ContinuousClock.now >= deadline {
                return false
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private func drain(_ fd: Int32, _ copyFD: Int32?) {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                let received = chunk[0..<count]
                state.withLock { $0.bytes.append(contentsOf: received) }
                if let copyFD {
                    Self.writeAll(copyFD, Array(received))
                }
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        Glibc.close(fd)
        if let copyFD {
            Glibc.close(copyFD)
        }
        state.withLock { $0.finished = true }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return  // A log copy that cannot be written must not stop the in-memory capture.
            }
        }
    }
}
