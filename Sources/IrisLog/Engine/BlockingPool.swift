import DequeModule

/// Runs blocking calls (fdatasyncs, preads) on a bounded set of OS threads, off Swift's
/// cooperative pool and off the engine's lanes. A thread starts only when a job finds every
/// started thread busy, so a process that makes few such calls runs few threads; at most
/// `threadsMax` run, and jobs beyond them wait in line, in order. Each job is a blocking part
/// and a completion: the thread counts itself free while the completion runs, so a job the
/// completion starts (a log's next sync) is taken by this thread rather than starting another.
final class BlockingPool: @unchecked Sendable {
    // @unchecked: everything mutable is inside `state`.
    private struct State {
        var jobs = Deque<Job>()
        var idle = 0
        var threads = 0
    }

    /// A blocking part that returns the completion to call once it is done.
    typealias Job = @Sendable () -> (@Sendable () -> Void)

    let name: String
    let threadsMax: Int
    private let state = ConditionLock(State())

    /// - Parameter name: the threads' name (at most 15 bytes are kept).
    init(name: String, threadsMax: Int) {
        precondition(threadsMax >= 1)
        self.name = name
        self.threadsMax = threadsMax
    }

    /// Threads started so far.
    var threadCount: Int { state.withLock { $0.threads } }

    /// Runs `blocking` on one of the pool's threads, then `completion` with its result there.
    func run<T: Sendable>(_ blocking: @escaping @Sendable () -> T, then completion: @escaping @Sendable (T) -> Void) {
        let job: Job = {
            let result = blocking()
            return { completion(result) }
        }
        let startThread = state.withLock { state in
            state.jobs.append(job)
            guard state.jobs.count > state.idle, state.threads < threadsMax else { return false }
            state.threads += 1
            return true
        }
        if startThread {
            OSThread.start(name: name) { self.work() }
        } else {
            state.signal()
        }
    }

    private func work() {
        state.withLock { $0.idle += 1 }
        while true {
            let job: Job = state.wait { state in
                guard let job = state.jobs.popFirst() else { return nil }
                state.idle -= 1
                return job
            }
            let completion = job()
            state.withLock { $0.idle += 1 }
            completion()
        }
    }
}
