import Foundation

/// Locates the `botstatsd` and `botstatsctl` executables built by this package.
///
/// SwiftPM puts the test bundle and the executables in the same directory (`.build/<triple>/<config>/`), so the
/// directory of the running test binary (`/proc/self/exe`) is checked first; then `.build/debug/` and
/// `.build/release/` of the package that contains this source file. `BOTSTATSD_E2E_BIN_DIR` overrides both, for
/// running the tests against installed binaries. Lookup is lazy: nothing happens until a test asks, so a test
/// run without the binaries fails only in the tests that need them.
enum Binaries {
    /// The daemon, `botstatsd`.
    ///
    /// - Throws: ``SupportError`` telling the reader to run `swift build` when it has not been built.
    static var daemon: URL {
        get throws { try locate("botstatsd") }
    }

    /// The control client, `botstatsctl`.
    ///
    /// - Throws: ``SupportError`` telling the reader to run `swift build` when it has not been built.
    static var control: URL {
        get throws { try locate("botstatsctl") }
    }

    /// The directories searched, in order.
    static func candidateDirectories(filePath: String = #filePath) -> [URL] {
        var directories: [URL] = []
        if let override = ProcessInfo.processInfo.environment["BOTSTATSD_E2E_BIN_DIR"], !override.isEmpty {
            directories.append(URL(fileURLWithPath: override, isDirectory: true))
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: executable).deletingLastPathComponent())
        }
        if let packageRoot = packageRoot(from: filePath) {
            let build = packageRoot.appendingPathComponent(".build", isDirectory: true)
            directories.append(build.appendingPathComponent("debug", isDirectory: true))
            directories.append(build.appendingPathComponent("release", isDirectory: true))
        }
        return directories
    }

    private static func locate(_ name: String) throws -> URL {
        let directories = candidateDirectories()
        for directory in directories {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        let searched = directories.map(\.path).joined(separator: ", ")
        throw SupportError(
            "\(name) was not found (searched: \(searched)); run `swift build` in the package root first"
        )
    }

    /// Walks up from `filePath` to the nearest directory holding a `Package.swift`.
    private static func packageRoot(from filePath: String) -> URL? {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }
}
