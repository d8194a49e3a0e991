/// Segment roll, truncation and retention: the writer's changes to the set of segments.
/// Each runs in a turn of the writer (on its lane, or on a thread in `Log.appendBlocking`),
/// between groups, so no frame is written meanwhile.
extension LogWriter {
    /// Seals the active segment and starts a new one whose first record is `nextBase`.
    ///
    /// Order (SPEC.md §2.3): the old segment is already synced; it is trimmed to its data
    /// and synced; its index file is written and synced; the new segment is created and
    /// preallocated; the directory is synced; a checkpoint names the new segment.
    func roll(nextBase: Offset) throws {
        let sealed = active
        try sealed.file.truncate(to: position)
        try sealed.file.sync()
        let (index, summary) = log.lock.withLock { ($0.segments.last!.index, $0.segments.last!.summary) }
        precondition(summary.nextOffset == nextBase && summary.dataEnd == position)
        try loader.writeIndex(index, summary: summary)

        let name = SegmentFileName.segment(nextBase)
        let file = try log.storage.openFile(log.path(name), mode: .create)
        try file.allocate(size: configuration.segmentSizeBytes)
        try file.sync()
        try log.storage.syncDirectory(log.directory)
        let handle = SegmentHandle(baseOffset: nextBase, name: name, file: file)
        active = handle
        position = 0
        zeroedEnd = 0
        restartSyncing(at: 0)
        try writeCheckpoint()
        log.lock.withLock { state in
            state.segments[state.segments.count - 1].sealed = true
            let summary = SegmentSummary(baseOffset: nextBase, nextOffset: nextBase, dataEnd: 0, lastCRC: summary.lastCRC, maxTimestamp: .min)
            state.segments.append(SegmentEntry(
                handle: handle, index: OffsetIndex(baseOffset: nextBase, intervalBytes: configuration.indexIntervalBytes),
                summary: summary, sealed: false))
        }
        log.logger.debug("rolled segment", metadata: ["sealed": "\(sealed.name)", "active": "\(name)"])
        if configuration.retentionBytesMax != nil || configuration.retentionAgeMicrosecondsMax != nil {
            _ = try deleteSegments(before: nil)
        }
    }

    var loader: LogLoader {
        LogLoader(directory: log.directory, storage: log.storage, configuration: configuration, logger: log.logger)
    }

    /// Runs a maintenance request. It stays first in the state's queue until done, so no
    /// append is admitted (given an offset) while the segments change under it.
    func perform(_ request: MaintenanceRequest) {
        do {
            switch request {
            case .truncate(let cut, let continuation):
                do {
                    try truncate(from: cut)
                    continuation.resume(returning: .success(()))
                } catch let error as LogError {
                    continuation.resume(failing: error)
                }
            case .deleteSegments(let before, let continuation):
                continuation.resume(returning: .success(try deleteSegments(before: before)))
            }
        } catch {
            // An I/O error: the request fails with everything else that was pending.
            failStop(error, unfinished: [])
            return
        }
        let (refused, tailWaiters) = log.lock.withLock { state in
            state.maintenance.removeFirst()
            return (state.admitWaiting(), state.takeTailWaiters())
        }
        log.wakeWriter()
        refused.forEach { $0.0.continuation?.resume(failing: $0.1) }
        tailWaiters.forEach { $0.resume() }
    }

    /// Deletes sealed segments: those wholly before `before`, or (nil) those the retention
    /// policy no longer keeps. The active segment is never deleted. Returns how many went.
    func deleteSegments(before: Offset?) throws -> Int {
        let now = WallClock.nowMicroseconds()
        let doomed: [SegmentHandle] = log.lock.withLock { state in
            var total = state.segments.reduce(0) { $0 + $1.summary.dataEnd }
            var count = 0
            for segment in state.segments.dropLast() {
                let expired: Bool
                if let before {
                    expired = segment.summary.nextOffset <= before
                } else {
                    let tooBig = configuration.retentionBytesMax.map { total > $0 } ?? false
                    let tooOld = configuration.retentionAgeMicrosecondsMax.map { segment.summary.maxTimestamp < now - $0 } ?? false
                    expired = tooBig || tooOld
                }
                guard expired else { break }
                total -= segment.summary.dataEnd
                count += 1
            }
            let doomed = state.segments.prefix(count).map(\.handle)
            state.segments.removeFirst(count)
            return doomed
        }
        guard !doomed.isEmpty else { return 0 }
        // Oldest first, each durable before the next, so a crash part-way leaves no gap even
        // on a file system that does not keep unlinks in order.
        for handle in doomed {
            try removeSegmentFiles(handle)
            try log.storage.syncDirectory(log.directory)
        }
        log.logger.info("deleted segments", metadata: ["count": "\(doomed.count)", "first_offset": "\(log.firstOffset)"])
        return doomed.count
    }

    /// Removes every record from `cut` on; `cut` must start a frame. Runs with no frame in flight.
    ///
    /// Order (SPEC.md §6.4), each step durable before the next, so a crash anywhere leaves
    /// either the old log (the suffix comes back, as if the truncation never started) or the
    /// truncated one, never a hole: everything written is synced; a checkpoint names the cut;
    /// later segments are deleted newest first, a directory sync after each; the cut segment's
    /// index is deleted and the directory synced; the segment is trimmed, preallocated again
    /// and synced, and becomes active. Readers are told through `truncationEpoch` (odd while
    /// the segments change), so none returns a frame written after the cut or reports the
    /// trimmed bytes as corruption.
    func truncate(from cut: Offset) throws {
        let plan: (segment: Int, entry: SegmentEntry, later: [SegmentHandle])? = try log.lock.withLock { state in
            guard cut < state.durableNext else { return nil }
            guard cut >= state.firstOffset else {
                throw LogError.offsetOutOfRange(requested: cut, first: state.firstOffset, next: state.durableNext)
            }
            let segment = state.segments.segmentIndex(holding: cut)!
            state.truncationEpoch += 1
            return (segment, state.segments[segment], state.segments[(segment + 1)...].map(\.handle))
        }
        guard let plan else { return }
        try syncWritten()
        let kept = try keptPrefix(of: plan.entry, before: cut)
        let handle = plan.entry.handle
        checkpointSequence += 1
        try Checkpoint(sequence: checkpointSequence, segmentBase: handle.baseOffset, syncedPosition: kept.position,
                       nextOffset: cut, lastCRC: kept.previousCRC, unsyncedWindowBytes: configuration.unsyncedWindowBytes)
            .write(to: checkpointFile)
        for doomed in plan.later.reversed() {
            try removeSegmentFiles(doomed)
            try log.storage.syncDirectory(log.directory)
        }
        let indexPath = log.path(SegmentFileName.index(handle.baseOffset))
        if log.storage.fileExists(indexPath) {
            try log.storage.removeFile(indexPath)
            try log.storage.syncDirectory(log.directory)
        }
        try handle.file.truncate(to: kept.position)
        try handle.file.allocate(size: configuration.segmentSizeBytes)
        try handle.file.sync()

        active = handle
        position = kept.position
        zeroedEnd = kept.position
        chainCRC = kept.previousCRC
        bytesSinceCheckpoint = 0
        restartSyncing(at: kept.position)
        log.lock.withLock { state in
            state.segments.removeLast(state.segments.count - plan.segment - 1)
            let last = state.segments.count - 1
            state.segments[last].sealed = false
            state.segments[last].index.truncate(before: kept.position)
            state.segments[last].summary = SegmentSummary(
                baseOffset: handle.baseOffset, nextOffset: cut, dataEnd: kept.position,
                lastCRC: kept.previousCRC, maxTimestamp: kept.maxTimestamp)
            state.nextOffset = cut
            state.durableNext = cut
            state.admittedCRC = kept.previousCRC
            state.truncationEpoch += 1
        }
        log.logger.info("truncated", metadata: ["from": "\(cut)", "segment": "\(handle.name)", "position": "\(kept.position)"])
    }

    /// Unlinks a segment file and its index file, if any (the caller syncs the directory).
    private func removeSegmentFiles(_ handle: SegmentHandle) throws {
        try log.storage.removeFile(log.path(handle.name))
        let indexPath = log.path(SegmentFileName.index(handle.baseOffset))
        if log.storage.fileExists(indexPath) { try log.storage.removeFile(indexPath) }
    }

    /// What stays of a segment cut at `cut`: the position of the frame starting at `cut`,
    /// that frame's previous CRC, and the newest timestamp before it. Walks the segment's
    /// frames from its start (truncation is rare; retention needs the timestamp exact).
    /// - Throws: `.truncationInsideBatch` when `cut` falls inside a frame; `.corruptFrame`
    ///   when the frames disagree with the segment's summary.
    private func keptPrefix(of entry: SegmentEntry, before cut: Offset) throws -> (position: Int, previousCRC: UInt32, maxTimestamp: Int64) {
        var position = 0
        var maxTimestamp = Int64.min
        let window = FrameWindow()
        while position < entry.summary.dataEnd {
            let (header, _) = try window.frame(in: entry, at: position, limit: entry.summary.dataEnd)
            if header.baseOffset == cut { return (position, header.previousCRC, maxTimestamp) }
            if header.nextOffset > cut {
                throw LogError.truncationInsideBatch(offset: cut.previous, batchFirst: header.baseOffset, batchLast: header.nextOffset.previous)
            }
            maxTimestamp = max(maxTimestamp, header.baseTimestamp)
            position += header.paddedLength
        }
        throw FrameReader.corrupt(entry, position, .outOfSequence("no frame starts at offset \(cut) before the segment's end"))
    }
}

extension Offset {
    /// The offset before this one; the log's first offset has none.
    var previous: Offset {
        precondition(rawValue > 0)
        return Offset(rawValue - 1)
    }
}
