/// What the syncer has made durable in the active segment, as the writer reads it.
struct SyncProgress: Sendable {
    /// Every byte of the active segment before this is durable.
    var syncedEnd: Int
    /// Set once, by the first failed fdatasync, with the end that sync was to cover.
    var failure: (end: Int, error: any Error)?
}

/// The log's second thread: runs fdatasyncs of the active segment back to back while the
/// writer goes on writing (SPEC.md §7). Each sync covers exactly the data whose writes had
/// completed when it began (`writtenEnd`, which the writer advances after each write), so
/// an append is acknowledged only after a sync that began after its write completed. At most
/// one sync is in flight; after a failure, or once halted, no sync starts again.
final class LogSyncer: @unchecked Sendable {
    // @unchecked: `groupWriter` is used only by the syncer thread; the rest is under `state`.
    private struct State {
        var file: (any StorageFile)?
        /// End of the data whose writes completed.
        var writtenEnd = 0
        /// End the last started sync covers.
        var requestedEnd = 0
        var syncing = false
        var halted = false
        var stopping = false
    }

    private let log: Log
    private let groupWriter: any GroupWriter
    private let state = ConditionLock(State())

    init(log: Log) throws {
        self.log = log
        self.groupWriter = try log.storage.makeGroupWriter()
    }

    /// Starts the syncer thread; it runs until `stop()`.
    func start() {
        OSThread.start(name: "iris-log-sync") { self.run() }
    }

    /// The writer wrote `file` up to `end` and those writes completed: the next sync covers them.
    func written(_ file: any StorageFile, through end: Int) {
        state.withLock { state in
            precondition(state.file == nil || state.file === file, "the active segment changed without a restart")
            precondition(end >= state.writtenEnd)
            state.file = file
            state.writtenEnd = end
        }
        state.signal()
    }

    /// Starts over in a new or truncated active segment whose data is durable up to `end`.
    /// Called with no sync in flight and nothing written unsynced (the writer drained first).
    func restart(at end: Int) {
        state.withLock { state in
            precondition(!state.syncing && state.requestedEnd == state.writtenEnd, "restart with a sync pending")
            state.file = nil
            state.writtenEnd = end
            state.requestedEnd = end
        }
    }

    /// No sync starts from now on (after a write failure: the page cache is not trusted).
    func halt() {
        state.withLock { $0.halted = true }
    }

    /// Ends the thread once no sync runs.
    func stop() {
        state.withLock { $0.stopping = true }
        state.signal()
    }

    private func run() {
        while true {
            let next: (file: any StorageFile, end: Int)? = state.wait { state in
                if state.stopping { return .some(nil) }
                guard !state.halted, state.writtenEnd > state.requestedEnd, let file = state.file else { return nil }
                state.requestedEnd = state.writtenEnd
                state.syncing = true
                return (file, state.writtenEnd)
            }
            guard let (file, end) = next else { return }
            let started = WallClock.monotonicNanoseconds()
            var failure: (any Error)? = nil
            do { try groupWriter.sync(file) } catch { failure = error }
            log.metrics.syncDuration.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - started))
            state.withLock { state in
                state.syncing = false
                if failure != nil { state.halted = true }
            }
            log.lock.withLock { state in
                if let failure {
                    if state.syncProgress.failure == nil { state.syncProgress.failure = (end, failure) }
                } else {
                    precondition(end >= state.syncProgress.syncedEnd)
                    state.syncProgress.syncedEnd = end
                }
            }
            log.lock.signal()
        }
    }
}
