import NIOCore
import NIOEmbedded
import Testing

@testable import BotStats

/// The connection table: its cap, its idle sweep, and the wait that lets the sweeper sleep
/// without a timer while nobody is connected.
@Suite struct ControlConnectionsTests {
    @Test func waitingReturnsAtOnceWhileAConnectionIsOpen() async {
        let connections = ControlConnections(limit: 4, idleTimeout: .seconds(30))
        _ = connections.admit(EmbeddedChannel(), now: .now)
        await connections.waitForConnection()
    }

    @Test func waitingEndsWhenTheFirstConnectionArrives() async throws {
        let connections = ControlConnections(limit: 4, idleTimeout: .seconds(30))
        let waiter = Task {
            await connections.waitForConnection()
            return connections.count
        }
        try await Task.sleep(for: .milliseconds(20))
        _ = connections.admit(EmbeddedChannel(), now: .now)
        #expect(await waiter.value == 1)
    }

    @Test func waitingEndsWhenCancelled() async throws {
        let connections = ControlConnections(limit: 4, idleTimeout: .seconds(30))
        let waiter = Task { await connections.waitForConnection() }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await waiter.value
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
}
