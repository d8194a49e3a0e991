/// What the syncer has made durable in the active segment, as the writer reads it.
struct SyncProgress: Sendable {
    /// Every byte of the active segment before this is durable.
    var syncedEnd: Int
    /// Set once, by the first failed fdatasync, with the end that sync was to cover.
    var failure: (end: Int, error: any Error)?
}

/// The log's second thread: runs fdatasyncs of the active segment while the writer goes on
/// writing (SPEC.md §7). Each sync covers exactly the data the writer had told it of when it
/// began (`written(_:through:)` after each write under `.fsync`; `request(_:through:then:)`
/// under `.none` and for `Log.sync`), always data whose writes had completed, so an append is
/// acknowledged only after a sync that began after its write completed. At most one sync is
/// in flight; after a failure, or once halted, no sync starts again.
///
/// Callers waiting for a sync (`Log.sync`) are answered from this thread, in the order they
/// were handed over, as soon as a sync covering their end has completed, and before the writer
/// hears of that sync (so the log does not close with an answer still to come).
final class LogSyncer: @unchecked Sendable {
    // @unchecked: `groupWriter` is used only by the syncer thread; the rest is under `state`.
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
        request(file, through: end, then: [])
    }

    /// Syncs `file` through `end` (its writes completed) and then calls each of `completions`
    /// with nil, on this thread (at once when a completed sync already covers `end`); on a
    /// failure `halt()` hands them back instead.
    func request(_ file: any StorageFile, through end: Int, then completions: [@Sendable (LogError?) -> Void]) {
        state.withLock { state in
            precondition(state.file == nil || state.file === file, "the active segment changed without a restart")
            state.file = file
            state.writtenEnd = max(state.writtenEnd, end)
            for completion in completions { state.waiters.append((end, completion)) }
        }
        state.signal()
    }

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

    /// Ends the thread once no sync runs.
    func stop() {
        state.withLock { $0.stopping = true }
        state.signal()
    }

    /// What the thread does next.
    private enum Step {
        /// Answer callers a completed sync already covers.
        case answer([@Sendable (LogError?) -> Void])
        case sync(any StorageFile, through: Int)
        case stop
    }

    /// Takes the waiters a completed sync covers, in order.
    private static func takeCovered(_ state: inout State) -> [@Sendable (LogError?) -> Void] {
        let due = state.waiters.prefix { $0.end <= state.syncedEnd }.map(\.completion)
        state.waiters.removeFirst(due.count)
        return due
    }

    private func run() {
        while true {
            let step: Step = state.wait { state in
                let covered = Self.takeCovered(&state)
                if !covered.isEmpty { return .answer(covered) }
                if state.stopping { return .stop }
                guard !state.halted, state.writtenEnd > state.requestedEnd, let file = state.file else { return nil }
                state.requestedEnd = state.writtenEnd
                state.syncing = true
                return .sync(file, through: state.writtenEnd)
            }
            let (file, end): (any StorageFile, Int)
            switch step {
            case .answer(let covered):
                covered.forEach { $0(nil) }
                continue
            case .stop:
                return
            case .sync(let syncFile, let syncEnd):
                (file, end) = (syncFile, syncEnd)
            }
            let started = WallClock.monotonicNanoseconds()
            var failure: (any Error)? = nil
            do { try groupWriter.sync(file) } catch { failure = error }
            log.metrics.syncDuration.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - started))
            let answered: [@Sendable (LogError?) -> Void] = state.withLock { state in
                state.syncing = false
                guard failure == nil else {
                    state.halted = true
                    return []
                }
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
        }
    }
}
