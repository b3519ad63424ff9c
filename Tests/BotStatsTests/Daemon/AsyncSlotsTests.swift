import Synchronization
import Testing

@testable import BotStats

@Suite struct AsyncSlotsTests {
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
