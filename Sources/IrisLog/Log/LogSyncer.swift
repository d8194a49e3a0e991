/// What the syncer has made durable in the active segment, as the writer reads it.
struct SyncProgress: Sendable {
    /// Every byte of the active segment before this is durable.
    var syncedEnd: Int
    /// Set once, by the first failed fdatasync, with the end that sync was to cover.
    var failure: (end: Int, error: any Error)?
}

/// Runs the fdatasyncs of the active segment on the engine's sync service while the writer
/// goes on writing (SPEC.md §7). Each sync covers exactly the data the writer had told it of
/// when it began (`written(_:through:)` after each write under `.fsync`;
/// `request(_:through:then:)` under `.none` and for `Log.sync`), always data whose writes had
/// completed, so an append is acknowledged only after a sync that began after its write
/// completed. At most one sync is in flight; the next starts from the completion of the last.
/// After a failure, or once halted, no sync starts again.
///
/// Callers waiting for a sync (`Log.sync`) are answered from the sync service's thread, in the
/// order they were handed over, as soon as a sync covering their end has completed, and before
/// the writer hears of that sync (so the log does not close with an answer still to come).
final class LogSyncer: @unchecked Sendable {
    // @unchecked: everything mutable is under `state`.
    private struct State {
        var file: (any StorageFile)?
        /// End of the data to sync: its writes completed.
        var writtenEnd = 0
        /// End the last started sync covers.
        var requestedEnd = 0
        /// End the last completed sync covered.
        var syncedEnd = 0
        /// Callers told once a sync covers `end`, in the order they asked.
        var waiters: [(end: Int, completion: @Sendable (LogError?) -> Void)] = []
        var syncing = false
        /// A finished sync is being reported to the log: the next one starts after, so the log
        /// hears of completions in the order of their ends.
        var reporting = false
        var halted = false
    }

    private let log: Log
    private let service: any SyncService
    private let state = ConditionLock(State())

    init(log: Log, service: any SyncService) {
        self.log = log
        self.service = service
    }

    /// The writer wrote `file` up to `end` and those writes completed: the next sync covers them.
    func written(_ file: any StorageFile, through end: Int) {
        request(file, through: end, then: [])
    }

    /// Syncs `file` through `end` (its writes completed) and then calls each of `completions`
    /// with nil, from the sync service (at once when a completed sync already covers `end`);
    /// on a failure `halt()` hands them back instead.
    func request(_ file: any StorageFile, through end: Int, then completions: [@Sendable (LogError?) -> Void]) {
        let (covered, next) = state.withLock { state in
            precondition(state.file == nil || state.file === file, "the active segment changed without a restart")
            state.file = file
            state.writtenEnd = max(state.writtenEnd, end)
            for completion in completions { state.waiters.append((end, completion)) }
            return (Self.takeCovered(&state), Self.startNext(&state))
        }
        covered.forEach { $0(nil) }
        if let next { start(next) }
    }

    /// Hands syncs started and not yet submitted to the kernel: before waiting for one.
    func flush() { service.flush() }

    /// Starts over in a new or truncated active segment whose data is durable up to `end`.
    /// Called with no sync in flight, nothing written unsynced and nobody waiting (the writer
    /// drained first).
    func restart(at end: Int) {
        state.withLock { state in
            precondition(!state.syncing && state.requestedEnd == state.writtenEnd, "restart with a sync pending")
            precondition(state.waiters.isEmpty, "restart with callers waiting for a sync")
            state.file = nil
            state.writtenEnd = end
            state.requestedEnd = end
            state.syncedEnd = end
        }
    }

    /// No sync starts from now on (after a write failure: the page cache is not trusted).
    /// Returns the callers still waiting, for the writer to fail.
    func halt() -> [@Sendable (LogError?) -> Void] {
        state.withLock { state in
            state.halted = true
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.completion)
        }
    }

    /// A sync to start: the file and the end it covers.
    private struct Start {
        let file: any StorageFile
        let end: Int
    }

    /// Takes the waiters a completed sync covers, in order.
    private static func takeCovered(_ state: inout State) -> [@Sendable (LogError?) -> Void] {
        let due = state.waiters.prefix { $0.end <= state.syncedEnd }.map(\.completion)
        state.waiters.removeFirst(due.count)
        return due
    }

    /// The next sync, when none is in flight and something written is not yet asked for.
    private static func startNext(_ state: inout State) -> Start? {
        guard !state.syncing, !state.reporting, !state.halted, state.writtenEnd > state.requestedEnd, let file = state.file else { return nil }
        state.requestedEnd = state.writtenEnd
        state.syncing = true
        return Start(file: file, end: state.writtenEnd)
    }

    private func start(_ sync: Start) {
        let started = WallClock.monotonicNanoseconds()
        service.sync(sync.file) { error in
            self.log.metrics.syncDuration.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - started))
            self.completed(sync.end, failure: error)
        }
    }

    /// A sync through `end` finished: answers the callers it covers, tells the writer, and
    /// starts the next sync if more was written meanwhile.
    private func completed(_ end: Int, failure: StorageError?) {
        let answered: [@Sendable (LogError?) -> Void] = state.withLock { state in
            state.syncing = false
            guard failure == nil else {
                state.halted = true
                return []
            }
            state.reporting = true
            state.syncedEnd = end
            return Self.takeCovered(&state)
        }
        // Answered before the writer hears of the sync: it closes the log only after that.
        answered.forEach { $0(nil) }
        log.lock.withLock { state in
            if let failure {
                if state.syncProgress.failure == nil { state.syncProgress.failure = (end, failure) }
            } else {
                precondition(end >= state.syncProgress.syncedEnd)
                state.syncProgress.syncedEnd = end
            }
        }
        log.lock.signal()
        let next: Start? = state.withLock { state in
            state.reporting = false
            return Self.startNext(&state)
        }
        if let next { start(next) }
        log.wakeWriter()
    }
}
