import Foundation
import Testing

@testable import BotStats
@testable import BotStatsProtocol

#if canImport(Glibc)
import Glibc
#endif

/// One daemon per state directory: the second `acquire` fails at once and names the holder.
///
/// `flock` locks belong to an open file description, not to a process, so two acquisitions in
/// this one test process contend exactly as two daemons would.
@Suite struct StateDirectoryLockTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("botstats-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test func aSecondAcquireFailsNamingTheHoldersPid() throws {
        let first = try StateDirectoryLock.acquire(directory: directory)
        defer { first.release() }
        #expect {
            try StateDirectoryLock.acquire(directory: directory)
        } throws: { error in
            guard let error = error as? StateDirectoryLockError else { return false }
            return error.isInUse && error.holderPID == Int(getpid())
                && error.description == "state directory \(directory) is in use by another botstatsd (pid \(getpid()))"
        }
    }

    @Test func theLockFileHoldsThePidAndOnlyItsOwnerMayReadIt() throws {
        let lock = try StateDirectoryLock.acquire(directory: directory)
        defer { lock.release() }
        #expect(lock.path == directory + "/lock")
        #expect(try String(contentsOfFile: lock.path, encoding: .utf8) == "\(getpid())\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: lock.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func aStalePidInTheFileIsReplacedWhenNobodyHoldsTheLock() throws {
        // A crashed daemon leaves its pid behind; the lock itself died with it.
        try Data("99999999\n".utf8).write(to: URL(fileURLWithPath: directory + "/lock"))
        let lock = try StateDirectoryLock.acquire(directory: directory)
        defer { lock.release() }
        #expect(try String(contentsOfFile: lock.path, encoding: .utf8) == "\(getpid())\n")
    }

    @Test func releasingLetsTheNextOneIn() throws {
        let first = try StateDirectoryLock.acquire(directory: directory)
        first.release()
        first.release()
        let second = try StateDirectoryLock.acquire(directory: directory)
        second.release()
    }

    @Test func droppingTheLockReleasesIt() throws {
        do { _ = try StateDirectoryLock.acquire(directory: directory) }
        let again = try StateDirectoryLock.acquire(directory: directory)
        again.release()
    }

    @Test func aMissingStateDirectoryIsCreatedForItsOwnerOnly() throws {
        let missing = directory + "/state"
        let lock = try StateDirectoryLock.acquire(directory: missing)
        defer { lock.release() }
        let attributes = try FileManager.default.attributesOfItem(atPath: missing)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aLockThatIsASymlinkIsRefusedNotFollowed() throws {
        let victim = directory + "/victim"
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: directory + "/lock", withDestinationPath: victim)
        #expect {
            try StateDirectoryLock.acquire(directory: directory)
        } throws: { error in
            "\(error)" == "cannot lock state directory \(directory): \(directory)/lock: is a symbolic link; remove it"
        }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
    }

    @Test func aLockThatIsADirectoryIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory + "/lock", withIntermediateDirectories: false)
        #expect {
            try StateDirectoryLock.acquire(directory: directory)
        } throws: { error in
            "\(error)".hasPrefix("cannot lock state directory \(directory): \(directory)/lock: ")
        }
    }

    @Test func anUnusableDirectoryNamesThePathAndTheReason() {
        let file = directory + "/plain-file"
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        #expect {
            try StateDirectoryLock.acquire(directory: file)
        } throws: { error in
            "\(error)" == "cannot lock state directory \(file): \(file): not a directory"
        }
    }
}
