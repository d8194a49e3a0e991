import NIOCore

/// Runs the jobs of the tasks that prefer it on one NIO event loop (SE-0417 task executor
/// preference), so a partition's loop, its feed and the connections served by the same event
/// loop hand work to each other without waking another thread: a continuation resumed on the
/// loop's own thread queues its task behind the current event, not on Swift's global pool.
///
/// Whatever runs here shares the loop with its channels: it must not block beyond a short
/// local file operation (the partition loop's hard-state save and reads of recent segments).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// One executor per event loop of `group`, in the group's order.
    static func all(of group: any EventLoopGroup) -> [EventLoopTaskExecutor] {
        group.makeIterator().map(EventLoopTaskExecutor.init)
    }
}

extension [EventLoopTaskExecutor] {
    /// The executor of partition `partition`: spread round-robin; nil when there is none.
    func executor(for partition: Int) -> EventLoopTaskExecutor? {
        isEmpty ? nil : self[partition % count]
    }
}
