import Synchronization
import Testing

@testable import BotStats
@testable import BotStatsProtocol

@Suite struct AsyncSerialGateTests {
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    /// The second operation starts only once the first, suspended meanwhile, has finished.
    @Test func operationsRunOneAtATimeInArrivalOrder() async throws {
        let gate = AsyncSerialGate()
        let events = Events()
        let (released, release) = AsyncStream<Void>.makeStream()
        let first = Task {
            await gate.run {
                events.append("first starts")
                for await _ in released { break }
                events.append("first ends")
            }
        }
        try await eventually("first runs") { events.all == ["first starts"] }
        let second = Task {
            await gate.run { events.append("second runs") }
        }
        // The second is parked behind the first; only then is the first let go.
        try await eventually("second waits") { gate.waitingCount == 1 }
        #expect(events.all == ["first starts"])
        release.yield()
        await first.value
        await second.value
        #expect(events.all == ["first starts", "first ends", "second runs"])
    }
}
