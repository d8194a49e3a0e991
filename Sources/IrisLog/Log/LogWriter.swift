import Logging

/// The single owner of the active segment: takes groups of admitted frames, writes each
/// group with one call and makes it durable with one fdatasync, then acknowledges it.
/// While it waits on the disk, producers keep admitting frames, which form the next group.
/// Runs on its own OS thread; everything here but `log` is touched by that thread alone.
final class LogWriter: @unchecked Sendable {
    // @unchecked: after init, only the writer thread touches the mutable fields.
    let log: Log
    let configuration: LogConfiguration
    let groupWriter: any GroupWriter
    var active: SegmentHandle
    /// Where the next frame goes in the active segment.
    var position: Int
    /// End of the data the last fdatasync covered.
    var syncedPosition: Int
    /// CRC of the last frame written: the next frame's previous CRC.
    var chainCRC: UInt32
    var checkpointFile: any StorageFile
    var checkpointSequence: UInt64
    var bytesSinceCheckpoint = 0
    /// Holds one group while it is written: frames are copied together so a group is one write.
    let buffer: UnsafeMutableRawBufferPointer

    init(log: Log, loaded: LoadedLog) throws {
        self.log = log
        self.configuration = log.configuration
        self.groupWriter = try log.storage.makeGroupWriter()
        let last = loaded.segments.last!
        self.active = last.handle
        self.position = last.summary.dataEnd
        self.syncedPosition = last.summary.dataEnd
        self.chainCRC = loaded.lastCRC
        self.checkpointFile = loaded.checkpointFile!
        self.checkpointSequence = loaded.checkpointSequence
        self.buffer = .allocate(byteCount: max(configuration.writeGroupBytesMax, configuration.frameBytesMax), alignment: 4096)
    }

    deinit { buffer.deallocate() }

    private enum Work {
        case group([PendingAppend])
        case maintenance(MaintenanceRequest)
        case exit
    }

    func run() {
        while true {
            let work: Work = log.lock.wait { state in
                if !state.queue.isEmpty { return .group(state.takeGroup(bytesMax: configuration.writeGroupBytesMax)) }
                if let request = state.maintenance.first { return .maintenance(request) }
                if state.closing && state.waiting.isEmpty { return .exit }
                return nil
            }
            switch work {
            case .group(let group): writeGroup(group)
            case .maintenance(let request): perform(request)
            case .exit:
                finish()
                return
            }
        }
    }

    /// Writes a group, rolling the segment where the next frame does not fit.
    private func writeGroup(_ group: [PendingAppend]) {
        guard log.lock.withLock({ $0.failure == nil }) else { return }
        var next = 0
        while next < group.count {
            var runBytes = 0
            var placed: [PlacedFrame] = []
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
                    try writeRun(run, placed: placed, bytes: runBytes)
                }
                // The run is acknowledged: from here a failure must not touch its appends again.
                next += run.count
                if bytesSinceCheckpoint >= configuration.checkpointIntervalBytes { try writeCheckpoint() }
                if next < group.count {
                    precondition(position > 0, "a frame larger than a segment passed validation")
                    try roll(nextBase: group[next].frame.baseOffset)
                }
            } catch {
                failStop(error, unfinished: Array(group[next...]))
                return
            }
        }
    }

    /// Where a frame of the run went and its CRC.
    private struct PlacedFrame {
        var position: Int
        var crc: UInt32
    }

    private func writeRun(_ run: ArraySlice<PendingAppend>, placed: [PlacedFrame], bytes: Int) throws {
        let mustSync = configuration.durability == .fsync
            || position + bytes - syncedPosition >= configuration.writeGroupBytesMax
        let started = WallClock.monotonicNanoseconds()
        try groupWriter.write(UnsafeRawBufferPointer(rebasing: buffer[0..<bytes]), to: active.file, at: position, sync: mustSync)
        position += bytes
        if mustSync {
            log.metrics.syncDuration.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - started))
            bytesSinceCheckpoint += position - syncedPosition
            syncedPosition = position
        }
        publish(run, placed: placed)
        log.metrics.groupRecords.record(run.reduce(0) { $0 + Int($1.frame.recordCount) })
        log.metrics.groupBytes.record(bytes)
    }

    /// Makes a written run visible to readers and acknowledges its appends.
    private func publish(_ run: ArraySlice<PendingAppend>, placed: [PlacedFrame]) {
        let last = run.last!.frame
        let (refused, tailWaiters) = log.lock.withLock { state in
            let segment = state.segments.count - 1
            precondition(state.segments[segment].handle === active)
            var maxTimestamp = state.segments[segment].summary.maxTimestamp
            for (append, frame) in zip(run, placed) {
                state.segments[segment].index.frameWritten(baseOffset: append.frame.baseOffset, position: frame.position)
                state.admittedBytes -= append.frame.paddedLength
                maxTimestamp = max(maxTimestamp, append.frame.baseTimestamp)
            }
            state.segments[segment].summary.dataEnd = position
            state.segments[segment].summary.nextOffset = last.nextOffset
            state.segments[segment].summary.lastCRC = placed.last!.crc
            state.segments[segment].summary.maxTimestamp = maxTimestamp
            state.durableNext = last.nextOffset
            if state.nextOffset == last.nextOffset { state.admittedCRC = placed.last!.crc }
            return (state.admitWaiting(), state.takeTailWaiters())
        }
        var records = 0
        for append in run {
            records += Int(append.frame.recordCount)
            append.continuation?.resume(returning: append.frame.baseOffset)
        }
        refused.forEach { $0.0.continuation?.resume(throwing: $0.1) }
        log.metrics.appends.increment(by: records)
        log.metrics.appendedBytes.increment(by: run.reduce(0) { $0 + $1.frame.paddedLength })
        tailWaiters.forEach { $0.resume() }
    }

    /// Records the synced position so recovery knows which data cannot be a torn tail.
    func writeCheckpoint() throws {
        checkpointSequence += 1
        let (nextOffset, lastCRC) = log.lock.withLock { state in
            (state.segments.last!.summary.nextOffset, state.segments.last!.summary.lastCRC)
        }
        let checkpoint = Checkpoint(
            sequence: checkpointSequence, segmentBase: active.baseOffset, syncedPosition: syncedPosition,
            nextOffset: nextOffset, lastCRC: lastCRC, unsyncedWindowBytes: configuration.unsyncedWindowBytes)
        try checkpoint.write(to: checkpointFile)
        bytesSinceCheckpoint = 0
    }

    /// Fail-stop: after a write or sync error nothing more is written, since the page cache
    /// can no longer be trusted. Every pending append and request fails; reads go on.
    func failStop(_ error: any Error, unfinished: [PendingAppend]) {
        let cause: LogError = (error as? StorageError).map(LogError.init) ?? (error as? LogError) ?? .failed(cause: "\(error)")
        log.logger.error("log failed, no more writes", metadata: ["directory": "\(log.directory)", "error": "\(cause)"])
        log.metrics.failures.increment()
        let (appends, requests) = log.lock.withLock { $0.fail(cause) }
        unfinished.forEach { $0.continuation?.resume(throwing: cause) }
        let later = Log.errorAfterFailure(cause)
        appends.forEach { $0.continuation?.resume(throwing: later) }
        requests.forEach { $0.fail(later) }
    }

    /// Makes everything written durable (what `.none` durability left unsynced).
    func syncWritten() throws {
        guard syncedPosition < position else { return }
        try active.sync()
        bytesSinceCheckpoint += position - syncedPosition
        syncedPosition = position
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
