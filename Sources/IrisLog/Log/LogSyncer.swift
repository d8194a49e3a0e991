/// How an fdatasync started by the writer ended.
enum SyncOutcome: Sendable {
    case synced
    case failed(any Error)
}

/// The log's second thread: runs the fdatasync of the groups the writer has written, while
/// the writer goes on writing the next group (SPEC.md §7). At most one sync is in flight.
/// It reports each outcome into `LogState.syncOutcome` and wakes the writer.
final class LogSyncer: @unchecked Sendable {
    // @unchecked: `groupWriter` is used only by the syncer thread; requests go through `requests`.
    private enum Request {
        case sync(any StorageFile)
        case stop
    }

    private let log: Log
    private let groupWriter: any GroupWriter
    private let requests = ConditionLock<Request?>(nil)

    init(log: Log) throws {
        self.log = log
        self.groupWriter = try log.storage.makeGroupWriter()
    }

    /// Starts the syncer thread; it runs until `stop()`.
    func start() {
        OSThread.start { self.run() }
    }

    /// Starts an fdatasync of `file`. The caller has seen every write it must cover complete,
    /// and no other sync is in flight.
    func startSync(_ file: any StorageFile) {
        requests.withLock { request in
            precondition(request == nil, "a sync is already in flight")
            request = .sync(file)
        }
        requests.signal()
    }

    /// Ends the thread once it is idle. Called with no sync in flight.
    func stop() {
        requests.withLock { request in
            precondition(request == nil, "stopping the syncer with a sync in flight")
            request = .stop
        }
        requests.signal()
    }

    private func run() {
        while true {
            let request = requests.wait { $0 }
            guard case .sync(let file) = request else { return }
            let started = WallClock.monotonicNanoseconds()
            let outcome: SyncOutcome
            do {
                try groupWriter.sync(file)
                outcome = .synced
            } catch {
                outcome = .failed(error)
            }
            log.metrics.syncDuration.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - started))
            // Cleared before the outcome is reported, so the writer may start the next sync at once.
            requests.withLock { $0 = nil }
            log.lock.withLock { state in
                precondition(state.syncOutcome == nil, "a sync outcome was not taken")
                state.syncOutcome = outcome
            }
            log.lock.signal()
        }
    }
}
