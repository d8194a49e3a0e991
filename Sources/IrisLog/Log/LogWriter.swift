import Logging

/// The single owner of the active segment: takes groups of admitted frames, writes each
/// group with one call, and acknowledges it once an fdatasync covers it (`.fsync`) or once
/// written (`.none`).
///
/// Pipelined (SPEC.md §7): the syncer runs fdatasyncs on the engine's sync service, each over
/// the data written when it began, while the writer writes the frames admitted meanwhile,
/// keeping at most `unsyncedWindowBytes` written and unsynced. When a sync completes, the
/// writer acknowledges the runs it covered, in offset order. Sync requests (`Log.sync`) go to
/// the syncer once the frames admitted before them are written; they hold back no append.
/// Runs in turns (`takeTurn(on:)`), one turn at a time: on its engine lane's thread, or on a
/// thread in `Log.appendBlocking` that found it idle; everything here but `log` is touched by
/// those turns alone.
final class LogWriter: @unchecked Sendable {
    // @unchecked: after init, only the writer's turns (one at a time, on its lane's thread or
    // an appending thread that claimed it, ordered by its slot's state) touch the mutable fields.
    let log: Log
    let configuration: LogConfiguration
    let syncer: LogSyncer
    /// The lane whose thread runs this writer's turns.
    let lane: EngineLane
    var active: SegmentHandle
    /// Where the next frame goes in the active segment.
    var position: Int
    /// End of the zeroes written ahead of the data in the active segment (SPEC.md §2.1); below
    /// `position` when the data went past them (zero-ahead off, or groups too large for it).
    var zeroedEnd: Int
    /// End of the data a completed fdatasync covered and the writer acknowledged.
    var syncedPosition: Int
    /// CRC of the last frame written: the next frame's previous CRC.
    var chainCRC: UInt32
    var checkpointFile: any StorageFile
    var checkpointSequence: UInt64
    var bytesSinceCheckpoint = 0
    /// Runs written and not yet acknowledged (`.fsync`), in offset order.
    private var written: [WrittenRun] = []
    /// Where each run written and not yet synced ends (`.none`), in offset order, so that a
    /// checkpoint after a sync names the frame the synced data ends with.
    private var unsyncedEnds: [RunEnd] = []
    /// Frames written since the log opened: a sync request is due once this reaches its count.
    private var writtenFrames: UInt64 = 0
    /// The end the syncer was last asked to reach in the active segment; never below
    /// `syncedPosition`. Segment changes wait until `syncedPosition` reaches it.
    private var syncRequestedEnd: Int
    /// Whether the turn running now runs on a thread of `Log.appendBlocking` rather than the lane's.
    private var inCallerTurn = false
    /// The group buffer of turns run by appending threads (the lane's is the lane thread's alone).
    private var callerBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init(log: Log, loaded: LoadedLog, lane: EngineLane, syncService: any SyncService) {
        self.log = log
        self.configuration = log.configuration
        self.lane = lane
        self.syncer = LogSyncer(log: log, service: syncService)
        let last = loaded.segments.last!
        self.active = last.handle
        self.position = last.summary.dataEnd
        self.zeroedEnd = last.summary.dataEnd
        self.syncedPosition = last.summary.dataEnd
        self.syncRequestedEnd = last.summary.dataEnd
        self.chainCRC = loaded.lastCRC
        self.checkpointFile = loaded.checkpointFile!
        self.checkpointSequence = loaded.checkpointSequence
        syncer.restart(at: position)
    }

    deinit { callerBuffer.deallocate() }

    /// Frames written together, where they went, and the end of the last one.
    private struct WrittenRun {
        var appends: ArraySlice<PendingAppend>
        var placed: [PlacedFrame]
        var end: Int
    }

    /// Where a frame of the run went and its CRC.
    private struct PlacedFrame {
        var position: Int
        var crc: UInt32
    }

    /// The end of a written run and of its last frame: what a checkpoint at `end` records.
    private struct RunEnd {
        var end: Int
        var nextOffset: Offset
        var lastCRC: UInt32
    }

    enum Work {
        case synced(through: Int)
        case syncFailed(end: Int, error: any Error)
        /// Sync requests whose frames are written; `idle`: no sync is outstanding.
        case syncRequests([SyncRequest], idle: Bool)
        /// A group to write; `alone`: nothing else is queued or being synced.
        case group([PendingAppend], alone: Bool)
        case maintenance(MaintenanceRequest)
        case exit
    }

    /// Most steps of one turn: then the lane's other writers get theirs.
    static let turnSteps = 8

    /// `takeTurn(on:)` on a thread of `Log.appendBlocking` that claimed the idle writer
    /// (`EngineLane.runClaimedTurns`). Such a turn syncs in line whenever nothing else is
    /// outstanding, whoever else waits for the lane: it holds up no other log.
    func takeCallerTurn() -> Bool {
        inCallerTurn = true
        defer { inCallerTurn = false }
        return takeTurn(on: lane)
    }

    /// Runs up to `turnSteps` steps of work; returns whether work is left
    /// (the lane gives another turn after the others), false when there is none or the
    /// writer exited.
    func takeTurn(on lane: EngineLane) -> Bool {
        precondition(lane === self.lane)
        for _ in 0..<LogWriter.turnSteps {
            guard let work = log.lock.withLock({ nextWork(&$0) }) else { return false }
            switch work {
            case .synced(let end): syncCompleted(through: end)
            case .syncFailed(let end, let error): syncFailed(end: end, error: error)
            case .syncRequests(let requests, let idle): answer(requests, syncerIdle: idle)
            case .group(let group, let alone): writeGroup(group, alone: alone)
            case .maintenance(let request): perform(request)
            case .exit:
                finish()
                return false
            }
        }
        return true
    }

    /// What to do next, in priority order: act on a finished sync, pass due sync requests
    /// on, write what was admitted if the unsynced window allows, and only with no sync
    /// outstanding run maintenance or exit. Nil: wait for a producer or the syncer.
    private func nextWork(_ state: inout LogState) -> Work? {
        if let finished = finishedSync(state) { return finished }
        if let first = state.syncRequests.first, first.admittedFrames <= writtenFrames {
            var due: [SyncRequest] = []
            while let next = state.syncRequests.first, next.admittedFrames <= writtenFrames {
                due.append(state.syncRequests.removeFirst())
            }
            return .syncRequests(due, idle: written.isEmpty && syncedPosition >= syncRequestedEnd)
        }
        if let first = state.queue.first {
            let unsynced = position - syncedPosition
            let room = configuration.unsyncedWindowBytes - unsynced
            if unsynced == 0 || first.frame.paddedLength <= room {
                let group = state.takeGroup(bytesMax: min(configuration.writeGroupBytesMax, max(room, 1)))
                let alone = state.queue.isEmpty && written.isEmpty && syncedPosition >= syncRequestedEnd
                return .group(group, alone: alone)
            }
        }
        if !written.isEmpty || syncedPosition < syncRequestedEnd { return nil }
        if let request = state.maintenance.first { return .maintenance(request) }
        if state.closing && state.waiting.isEmpty && state.syncRequests.isEmpty { return .exit }
        return nil
    }

    private func finishedSync(_ state: LogState) -> Work? {
        LogWriter.finishedSync(state.syncProgress, logFailed: state.failure != nil, acknowledgedThrough: syncedPosition)
    }

    /// What the syncer finished that the writer has not acted on: a successful sync first, so
    /// runs a sync made durable are acknowledged even when the next sync failed (SPEC.md §7).
    /// Nothing once the log failed.
    static func finishedSync(_ progress: SyncProgress, logFailed: Bool, acknowledgedThrough: Int) -> Work? {
        guard !logFailed else { return nil }
        if progress.syncedEnd > acknowledgedThrough { return .synced(through: progress.syncedEnd) }
        if let failure = progress.failure { return .syncFailed(end: failure.end, error: failure.error) }
        return nil
    }

    /// Sync requests whose frames are written: answered at once when nothing written is
    /// unsynced (every earlier request was answered before the writer learnt of its sync);
    /// with the syncer idle and no other writer waiting for the lane, synced here (appends
    /// admitted meanwhile are written right after); else by the syncer once a sync covers
    /// everything written so far. Syncing here costs fewer thread hand-offs than the syncer,
    /// and on irisd the overlap the syncer would give was worth less than they cost; with
    /// other writers ready it would hold them up for a whole fdatasync (SPEC.md §7).
    private func answer(_ requests: [SyncRequest], syncerIdle: Bool) {
        let completions = requests.map(\.completion)
        guard syncedPosition < position else {
            completions.forEach { $0(nil) }
            return
        }
        guard syncerIdle && (inCallerTurn || !lane.othersReady) else {
            syncRequestedEnd = position
            syncer.request(active.file, through: position, then: completions)
            return
        }
        do {
            try syncWritten()
            if bytesSinceCheckpoint >= configuration.checkpointIntervalBytes { try writeCheckpoint() }
        } catch {
            failStop(error, unfinished: [])
            let failure = log.lock.withLock { $0.failure } ?? .failed(cause: "\(error)")
            completions.forEach { $0(Log.errorAfterFailure(failure)) }
            return
        }
        completions.forEach { $0(nil) }
    }

    /// Writes a group, rolling the segment where the next frame does not fit. Under `.fsync` a
    /// group that came `alone` (nothing else queued, no sync outstanding) while no other writer
    /// waits for the lane is synced right here and acknowledged: a lone producer costs one
    /// write (two when zero-ahead is due) and one fdatasync on the lane's thread, with no trip
    /// through the sync service; pipelining resumes as soon as appends queue up behind it.
    private func writeGroup(_ group: [PendingAppend], alone: Bool) {
        guard log.lock.withLock({ $0.failure == nil }) else { return }
        // A caller turn's buffer holds this group (so a log written by a lone thread keeps a
        // small one); the lane's, shared by its logs, holds any group.
        let buffer = inCallerTurn
            ? callerGroupBuffer(atLeast: group.reduce(0) { $0 + $1.frame.paddedLength })
            : lane.groupBuffer(atLeast: max(configuration.writeGroupBytesMax, configuration.frameBytesMax))
        let syncNow = alone && (inCallerTurn || !lane.othersReady)
        var next = 0
        while next < group.count {
            var runBytes = 0
            var placed: [PlacedFrame] = []
            placed.reserveCapacity(group.count - next)
            while next + placed.count < group.count {
                let frame = group[next + placed.count].frame
                guard position + runBytes + frame.paddedLength <= configuration.segmentSizeBytes else { break }
                chainCRC = frame.copySealed(
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[runBytes..<runBytes + frame.paddedLength]),
                    previousCRC: chainCRC)
                placed.append(PlacedFrame(position: position + runBytes, crc: chainCRC))
                runBytes += frame.paddedLength
            }
            let run = group[next..<next + placed.count]
            do {
                if !run.isEmpty {
                    try writeRun(run, placed: placed, from: buffer, bytes: runBytes, syncNow: syncNow)
                }
                // The run is written (and, under `.none` or synced here, acknowledged): a failure
                // from here on fails it only through the pipeline, never twice.
                next += run.count
                writtenFrames += UInt64(run.count)
                if syncedPosition == position && written.isEmpty && bytesSinceCheckpoint >= configuration.checkpointIntervalBytes {
                    try writeCheckpoint()
                }
                if next < group.count {
                    precondition(position > 0, "a frame larger than a segment passed validation")
                    try drain()
                    try roll(nextBase: group[next].frame.baseOffset)
                }
            } catch {
                failStop(error, unfinished: Array(group[next...]))
                return
            }
        }
    }

    /// The group buffer of caller turns, at least `bytes` long.
    private func callerGroupBuffer(atLeast bytes: Int) -> UnsafeMutableRawBufferPointer {
        if callerBuffer.count < bytes {
            callerBuffer.deallocate()
            callerBuffer = .allocate(byteCount: bytes, alignment: 4096)
        }
        return callerBuffer
    }

    /// Writes a run (the first `bytes` of `buffer`) with one pwrite; under `.fsync` hands it to
    /// the syncer, or with `syncNow` syncs and acknowledges it on this thread (no sync is
    /// outstanding then).
    private func writeRun(
        _ run: ArraySlice<PendingAppend>, placed: [PlacedFrame], from buffer: UnsafeMutableRawBufferPointer, bytes: Int, syncNow: Bool
    ) throws {
        try active.file.write(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes]), at: position)
        position += bytes
        try zeroAhead(groupBytes: bytes)
        let written = WrittenRun(appends: run, placed: placed, end: position)
        switch configuration.durability {
        case .fsync where syncNow:
            precondition(self.written.isEmpty && syncedPosition >= syncRequestedEnd, "a sync in line while one is outstanding")
            let started = WallClock.monotonicNanoseconds()
            try active.file.sync()
            log.metrics.syncDuration.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - started))
            synced(through: position)
            publish([written])
        case .fsync:
            self.written.append(written)
            syncer.written(active.file, through: position)
        case .none:
            // Acknowledged once written; the syncer starts a sync whenever a group's worth is
            // written and not yet asked for, so the unsynced window never fills for good.
            unsyncedEnds.append(RunEnd(end: position, nextOffset: run.last!.frame.nextOffset, lastCRC: placed.last!.crc))
            publish([written])
            if position - syncRequestedEnd >= configuration.writeGroupBytesMax {
                syncRequestedEnd = position
                syncer.request(active.file, through: position, then: [])
            }
        }
    }

    /// A sync completed through `end`: acknowledges the runs it covered (`.fsync`), then
    /// checkpoints if due, naming the last frame the sync covered.
    private func syncCompleted(through end: Int) {
        guard log.lock.withLock({ $0.failure == nil }) else { return }
        let last: RunEnd
        switch configuration.durability {
        case .fsync:
            let covered = written.prefix { $0.end <= end }
            precondition(!covered.isEmpty && covered.last!.end == end, "a sync ended inside a run")
            written.removeFirst(covered.count)
            synced(through: end)
            publish(Array(covered))
            last = RunEnd(end: end, nextOffset: covered.last!.appends.last!.frame.nextOffset, lastCRC: covered.last!.placed.last!.crc)
        case .none:
            let covered = unsyncedEnds.prefix { $0.end <= end }
            precondition(!covered.isEmpty && covered.last!.end == end, "a sync ended inside a run")
            unsyncedEnds.removeFirst(covered.count)
            synced(through: end)
            last = covered.last!
        }
        do {
            if bytesSinceCheckpoint >= configuration.checkpointIntervalBytes {
                try writeCheckpoint(nextOffset: last.nextOffset, lastCRC: last.lastCRC)
            }
        } catch {
            failStop(error, unfinished: [])
        }
    }

    /// A sync failed: the runs it was to cover get its error, every later one fails too.
    private func syncFailed(end: Int, error: any Error) {
        let failed = written.prefix { $0.end <= end }
        written.removeFirst(failed.count)
        failStop(error, unfinished: failed.flatMap(\.appends))
    }

    /// Waits until every written run is acknowledged and every sync asked for is done
    /// (before a roll).
    private func drain() throws {
        syncer.flush()
        while !written.isEmpty || syncedPosition < syncRequestedEnd {
            // A failure empties `written` and ends the requests, so meanwhile the log has not failed.
            let work: Work = log.lock.wait { finishedSync($0) }
            switch work {
            case .synced(let end): syncCompleted(through: end)
            case .syncFailed(let end, let error): syncFailed(end: end, error: error)
            default: preconditionFailure("drain waits only for the syncer")
            }
            if let failure = log.lock.withLock({ $0.failure }) { throw failure }
        }
    }

    private func synced(through end: Int) {
        precondition(end >= syncedPosition && end <= position)
        bytesSinceCheckpoint += end - syncedPosition
        syncedPosition = end
        syncRequestedEnd = max(syncRequestedEnd, end)
    }

    /// Makes written runs visible to readers and acknowledges their appends, in offset order.
    private func publish(_ runs: [WrittenRun]) {
        guard let lastRun = runs.last else { return }
        let last = lastRun.appends.last!.frame
        var records = 0
        var bytes = 0
        let (refused, tailWaiters) = log.lock.withLock { state in
            let segment = state.segments.count - 1
            precondition(state.segments[segment].handle === active)
            var maxTimestamp = state.segments[segment].summary.maxTimestamp
            for run in runs {
                for (append, frame) in zip(run.appends, run.placed) {
                    state.segments[segment].index.frameWritten(baseOffset: append.frame.baseOffset, position: frame.position)
                    state.admittedBytes -= append.frame.paddedLength
                    maxTimestamp = max(maxTimestamp, append.frame.baseTimestamp)
                    records += Int(append.frame.recordCount)
                    bytes += append.frame.paddedLength
                }
            }
            state.segments[segment].summary.dataEnd = lastRun.end
            state.segments[segment].summary.nextOffset = last.nextOffset
            state.segments[segment].summary.lastCRC = lastRun.placed.last!.crc
            state.segments[segment].summary.maxTimestamp = maxTimestamp
            state.durableNext = last.nextOffset
            if state.nextOffset == last.nextOffset { state.admittedCRC = lastRun.placed.last!.crc }
            return (state.admitWaiting(), state.takeTailWaiters())
        }
        for run in runs {
            for append in run.appends { append.continuation?.resume(returning: .success(append.frame.baseOffset)) }
        }
        refused.forEach { $0.0.continuation?.resume(failing: $0.1) }
        log.metrics.appends.increment(by: records)
        log.metrics.appendedBytes.increment(by: bytes)
        log.metrics.groupRecords.record(records)
        log.metrics.groupBytes.record(bytes)
        tailWaiters.forEach { $0.resume() }
    }

    /// Records the synced position so recovery knows which data cannot be a torn tail, with
    /// the published end of the log as its last frame: for when everything written is synced.
    func writeCheckpoint() throws {
        let (nextOffset, lastCRC) = log.lock.withLock { state in
            (state.segments.last!.summary.nextOffset, state.segments.last!.summary.lastCRC)
        }
        try writeCheckpoint(nextOffset: nextOffset, lastCRC: lastCRC)
    }

    /// Records the synced position, whose last frame ends the log at `nextOffset` with `lastCRC`.
    private func writeCheckpoint(nextOffset: Offset, lastCRC: UInt32) throws {
        checkpointSequence += 1
        let checkpoint = Checkpoint(
            sequence: checkpointSequence, segmentBase: active.baseOffset, syncedPosition: syncedPosition,
            nextOffset: nextOffset, lastCRC: lastCRC, unsyncedWindowBytes: configuration.unsyncedWindowBytes)
        try checkpoint.write(to: checkpointFile)
        bytesSinceCheckpoint = 0
    }

    /// Fail-stop: after a write or sync error nothing more is written, since the page cache
    /// can no longer be trusted. The appends whose write or sync failed (`unfinished`) get the
    /// error; every other pending append (written but unsynced, queued, waiting) and request
    /// fails as after a failure; reads go on. A second call (a failure found while the first
    /// was handled) fails `unfinished` as after the first.
    func failStop(_ error: any Error, unfinished: [PendingAppend]) {
        let syncWaiters = syncer.halt()
        let pending = written.flatMap(\.appends)
        written = []
        unsyncedEnds = []
        syncRequestedEnd = syncedPosition
        let cause: LogError = (error as? StorageError).map(LogError.init) ?? (error as? LogError) ?? .failed(cause: "\(error)")
        let (previous, appends, requests, syncs) = log.lock.withLock { state in
            let previous = state.failure
            let (appends, requests, syncs) = state.fail(cause)
            return (previous, appends, requests, syncs)
        }
        if previous == nil {
            log.logger.error("log failed, no more writes", metadata: ["directory": "\(log.directory)", "error": "\(cause)"])
            log.metrics.failures.increment()
            unfinished.forEach { $0.continuation?.resume(failing: cause) }
        } else {
            unfinished.forEach { $0.continuation?.resume(failing: Log.errorAfterFailure(previous!)) }
        }
        let later = Log.errorAfterFailure(previous ?? cause)
        (pending + appends).forEach { $0.continuation?.resume(failing: later) }
        requests.forEach { $0.fail(later) }
        (syncWaiters + syncs.map(\.completion)).forEach { $0(later) }
    }

    /// Starts the sync pipeline over at `end` of a new or truncated active segment, whose
    /// data is durable up to there. Called with no sync outstanding.
    func restartSyncing(at end: Int) {
        syncedPosition = end
        syncRequestedEnd = end
        unsyncedEnds = []
        syncer.restart(at: end)
        log.lock.withLock { $0.syncProgress.syncedEnd = end }
    }

    /// Makes everything written durable (what `.none` durability left unsynced).
    func syncWritten() throws {
        guard syncedPosition < position else { return }
        try active.sync()
        synced(through: position)
        unsyncedEnds = []
    }

    /// On close: sync what `.none` durability left unsynced and checkpoint the end.
    private func finish() {
        let failed = log.lock.withLock { $0.failure != nil }
        if !failed {
            do {
                try syncWritten()
                try writeCheckpoint()
            } catch {
                failStop(error, unfinished: [])
            }
        }
        lane.detach(log.writerSlot!)
        let waiters: [UnsafeContinuation<Void, Never>] = log.lock.withLock { state in
            state.writerExited = true
            defer { state.closeWaiters.removeAll() }
            return state.closeWaiters + state.takeTailWaiters()
        }
        waiters.forEach { $0.resume() }
    }
}

extension SegmentHandle {
    func sync() throws { try file.sync() }
}
