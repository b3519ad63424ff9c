import NIOCore
import NIOEmbedded
import Testing

@testable import BotStats
@testable import BotStatsProtocol

/// The connection table: its cap, its idle sweep, and the wait that lets the sweeper sleep
/// without a timer while nobody is connected.
@Suite struct ControlConnectionsTests {
    @Test func waitingReturnsAtOnceWhileAConnectionIsOpen() async throws {
        let connections = ControlConnections(limit: 4, idleTimeout: .seconds(30))
        _ = connections.admit(EmbeddedChannel(), now: .now)
        try await withDeadline("the wait's end") { await connections.waitForConnection() }
        #expect(connections.count == 1)
    }

    @Test func waitingEndsWhenTheFirstConnectionArrives() async throws {
        let connections = ControlConnections(limit: 4, idleTimeout: .seconds(30))
        let waiter = Task {
            await connections.waitForConnection()
            return connections.count
        }
        try await Task.sleep(for: .milliseconds(20))
        _ = connections.admit(EmbeddedChannel(), now: .now)
        #expect(try await withDeadline("the wait's end") { await waiter.value } == 1)
    }

    @Test func waitingEndsWhenCancelled() async throws {
        let connections = ControlConnections(limit: 4, idleTimeout: .seconds(30))
        let waiter = Task { await connections.waitForConnection() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        try await withDeadline("the wait's end") { await waiter.value }
        #expect(connections.count == 0)
    }

    @Test func theLongestIdleConnectionMakesRoomAtTheCap() throws {
        let connections = ControlConnections(limit: 2, idleTimeout: .seconds(30))
        let start = ContinuousClock.now
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        let (first, second) = (EmbeddedChannel(), EmbeddedChannel())
        try first.connect(to: address).wait()
        try second.connect(to: address).wait()
        _ = connections.admit(first, now: start)
        _ = connections.admit(second, now: start.advanced(by: .seconds(1)))
        #expect(connections.admit(EmbeddedChannel(), now: start.advanced(by: .seconds(2))) != nil)
        #expect(!first.isActive)
        #expect(second.isActive)
        #expect(connections.count == 2)
    }

    @Test func busyConnectionsAreNeitherEvictedNorSwept() {
        let connections = ControlConnections(limit: 1, idleTimeout: .seconds(30))
        let start = ContinuousClock.now
        let id = connections.admit(EmbeddedChannel(), now: start)!
        connections.touch(id, busy: true, now: start)
        #expect(connections.admit(EmbeddedChannel(), now: start) == nil)
        connections.closeIdle(now: start.advanced(by: .seconds(3600)))
        #expect(connections.count == 1)
        connections.touch(id, busy: false, now: start)
        connections.closeIdle(now: start.advanced(by: .seconds(31)))
        #expect(connections.count == 0)
    }

    /// A client that sends requests and never reads the answers makes room like an idle one,
    /// but only after every idle connection has gone.
    @Test func aConnectionStalledOnAClientThatDoesNotReadIsEvictedAfterTheIdleOnes() throws {
        let connections = ControlConnections(limit: 2, idleTimeout: .seconds(30))
        let start = ContinuousClock.now
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        let (stalled, idle) = (EmbeddedChannel(), EmbeddedChannel())
        try stalled.connect(to: address).wait()
        try idle.connect(to: address).wait()
        let stalledID = connections.admit(stalled, now: start)!
        connections.writing(stalledID, now: start)
        _ = connections.admit(idle, now: start.advanced(by: .seconds(1)))
        let running = connections.admit(EmbeddedChannel(), now: start.advanced(by: .seconds(2)))
        #expect(running != nil)
        #expect(stalled.isActive)
        #expect(!idle.isActive)
        connections.touch(running!, busy: true, now: start.advanced(by: .seconds(2)))
        #expect(connections.admit(EmbeddedChannel(), now: start.advanced(by: .seconds(3))) != nil)
        #expect(!stalled.isActive)
    }

    /// When every connection runs a command, others are refused but root and the daemon's own
    /// user still get one of the reserved slots.
    @Test func privilegedPeersHaveSlotsOthersCannotFill() {
        let connections = ControlConnections(limit: 2, reserved: 1, idleTimeout: .seconds(30))
        let now = ContinuousClock.now
        for _ in 0..<2 {
            let id = connections.admit(EmbeddedChannel(), now: now)!
            connections.touch(id, busy: true, now: now)
        }
        #expect(connections.admit(EmbeddedChannel(), now: now) == nil)
        let root = connections.admit(EmbeddedChannel(), privileged: true, now: now)
        #expect(root != nil)
        connections.touch(root!, busy: true, now: now)
        #expect(connections.admit(EmbeddedChannel(), privileged: true, now: now) == nil)
    }
}
