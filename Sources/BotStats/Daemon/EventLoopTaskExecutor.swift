import NIOCore
import BotStatsProtocol

/// Runs a task's jobs on one NIO event loop, so a connection's task and its channel share a
/// thread.
///
/// Without it every request on the control socket crossed threads four times: the event loop
/// hands the line to the task on Swift's global pool, and the task hands its answer back. A
/// `status` poller spent more time waking threads than answering.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
