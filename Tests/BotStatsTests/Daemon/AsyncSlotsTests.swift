import Synchronization
import Testing

@testable import BotStats

@Suite struct AsyncSlotsTests {
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func append(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    /// Holds operations open until the test lets them go, one by one.
    final class Holder: Sendable {
        private let started = Mutex<[Int]>([])
        private let gates = Mutex<[Int: CheckedContinuation<Void, Never>]>([:])

        var startedOrder: [Int] { started.withLock { $0 } }

        func hold(_ id: Int) async {
            await withCheckedContinuation { continuation in
                gates.withLock { $0[id] = continuation }
                started.withLock { $0.append(id) }
            }
        }

        func letGo(_ id: Int) {
            gates.withLock { $0.removeValue(forKey: id) }?.resume()
        }
    }

    /// Two slots, five operations: two run, three wait, and each release admits the next in
    /// arrival order.
    @Test func noMoreThanTheLimitRunAndTheRestFollowInArrivalOrder() async throws {
        let slots = AsyncSlots(limit: 2)
        let holder = Holder()
        var tasks: [Task<Int?, Never>] = []
        for id in 0..<5 {
            tasks.append(
                Task {
                    await slots.run {
                        await holder.hold(id); return id
                    }
                })
            // Arrival order is the order the tasks reach the queue.
            try await eventually("operation \(id) arrives") {
                let counts = slots.counts
                return counts.running + counts.waiting == id + 1
            }
        }
        try await eventually("two run") { holder.startedOrder.count == 2 }
        #expect(slots.counts == (2, 3))
        for id in 0..<5 {
            try await eventually("operation \(id) runs") { holder.startedOrder.contains(id) }
            #expect(slots.counts.running <= 2)
            holder.letGo(id)
            // One release at a time, each waited out until the waiter it admits has started:
            // two admitted together could start in either order, whatever order they were
            // admitted in.
            let admitted = min(5, id + 3)
            try await eventually("\(admitted) started") { holder.startedOrder.count == admitted }
        }
        for (id, task) in tasks.enumerated() { #expect(await task.value == id) }
        #expect(holder.startedOrder == [0, 1, 2, 3, 4])
        #expect(slots.counts == (0, 0))
    }

    /// A waiter whose task is cancelled leaves without running and without taking a slot from
    /// those behind it.
    @Test func aCancelledWaiterLeavesWithoutRunning() async throws {
        let slots = AsyncSlots(limit: 1)
        let holder = Holder()
        let first = Task { await slots.run { await holder.hold(0) } }
        try await eventually("first runs") { holder.startedOrder == [0] }
        let cancelled = Task { await slots.run { await holder.hold(1) } }
        let third = Task { await slots.run { await holder.hold(2) } }
        try await eventually("two wait") { slots.counts.waiting == 2 }
        cancelled.cancel()
        #expect(await cancelled.value == nil)
        #expect(slots.counts == (1, 1))
        holder.letGo(0)
        try await eventually("the third runs") { holder.startedOrder == [0, 2] }
        holder.letGo(2)
        _ = await first.value
        _ = await third.value
        #expect(slots.counts == (0, 0))
    }

    /// With one slot, `runToCompletion` runs operations one at a time in arrival order: the
    /// second starts only once the first, suspended meanwhile, has finished (reloads, state
    /// writes).
    @Test func oneSlotRunsOperationsOneAtATimeInArrivalOrder() async throws {
        let gate = AsyncSlots(limit: 1)
        let events = Events()
        let (released, release) = AsyncStream<Void>.makeStream()
        let first = Task {
            await gate.runToCompletion {
                events.append("first starts")
                for await _ in released { break }
                events.append("first ends")
            }
        }
        try await eventually("first runs") { events.all == ["first starts"] }
        let second = Task {
            await gate.runToCompletion { events.append("second runs") }
        }
        // The second is parked behind the first; only then is the first let go.
        try await eventually("second waits") { gate.counts.waiting == 1 }
        #expect(events.all == ["first starts"])
        release.yield()
        await first.value
        await second.value
        #expect(events.all == ["first starts", "first ends", "second runs"])
    }

    /// `runToCompletion` waits out a cancellation and still runs: a reload or state write once
    /// asked for is not dropped.
    @Test func runToCompletionRunsEvenWhenCancelledWhileWaiting() async throws {
        let gate = AsyncSlots(limit: 1)
        let holder = Holder()
        let first = Task { await gate.run { await holder.hold(0) } }
        try await eventually("first runs") { holder.startedOrder == [0] }
        let second = Task { await gate.runToCompletion { await holder.hold(1) } }
        try await eventually("second waits") { gate.counts.waiting == 1 }
        second.cancel()
        holder.letGo(0)
        try await eventually("second runs anyway") { holder.startedOrder == [0, 1] }
        holder.letGo(1)
        _ = await first.value
        await second.value
        #expect(gate.counts == (0, 0))
    }

    /// A task cancelled before it asks gets no slot at all.
    @Test func anAlreadyCancelledTaskDoesNotRun() async {
        let slots = AsyncSlots(limit: 1)
        let ran = Mutex(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await slots.run { ran.withLock { $0 = true } }
        }
        #expect(await task.value == nil)
        #expect(!ran.withLock { $0 })
        #expect(slots.counts == (0, 0))
    }
}
