/// Segment roll, truncation and retention: the writer's changes to the set of segments.
/// Each runs on the writer thread, between groups, so no frame is written meanwhile.
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
        syncedPosition = 0
        syncer.restart(at: 0)
        log.lock.withLock { $0.syncProgress.syncedEnd = 0 }
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
                    continuation.resume()
                } catch let error as LogError {
                    continuation.resume(throwing: error)
                }
            case .deleteSegments(let before, let continuation):
                continuation.resume(returning: try deleteSegments(before: before))
            case .sync(let continuation):
                try syncWritten()
                continuation.resume()
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
        log.lock.signal()
        refused.forEach { $0.0.continuation?.resume(throwing: $0.1) }
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
        // Oldest first, so a crash part-way leaves a log without a gap.
        for handle in doomed {
            let indexPath = log.path(SegmentFileName.index(handle.baseOffset))
            try log.storage.removeFile(log.path(handle.name))
            if log.storage.fileExists(indexPath) { try log.storage.removeFile(indexPath) }
        }
        try log.storage.syncDirectory(log.directory)
        log.logger.info("deleted segments", metadata: ["count": "\(doomed.count)", "first_offset": "\(log.firstOffset)"])
        return doomed.count
    }

    /// Removes every record from `cut` on; `cut` must start a frame. Runs with no frame in flight.
    ///
    /// Order (SPEC.md §6.4): a checkpoint naming the cut comes first, so recovery never sees
    /// the old synced position beyond it; then later segments are deleted, newest first; then
    /// the segment holding the cut is trimmed, preallocated again and synced, and becomes active.
    func truncate(from cut: Offset) throws {
        let plan: (segment: Int, position: Int, previousCRC: UInt32)? = try log.lock.withLock { state in
            guard cut < state.durableNext else { return nil }
            guard cut >= state.firstOffset else {
                throw LogError.offsetOutOfRange(requested: cut, first: state.firstOffset, next: state.durableNext)
            }
            let segment = state.segments.segmentIndex(holding: cut)!
            let entry = state.segments[segment]
            let found = try findFrameBoundary(entry, at: cut, searchFrom: entry.index.position(before: cut))
            return (segment, found.position, found.previousCRC)
        }
        guard let plan else { return }
        let (handle, doomed) = log.lock.withLock { state in
            (state.segments[plan.segment].handle, state.segments[(plan.segment + 1)...].map(\.handle))
        }
        checkpointSequence += 1
        try Checkpoint(sequence: checkpointSequence, segmentBase: handle.baseOffset, syncedPosition: plan.position,
                       nextOffset: cut, lastCRC: plan.previousCRC, unsyncedWindowBytes: configuration.unsyncedWindowBytes)
            .write(to: checkpointFile)
        for doomedHandle in doomed.reversed() {
            try log.storage.removeFile(log.path(doomedHandle.name))
            let indexPath = log.path(SegmentFileName.index(doomedHandle.baseOffset))
            if log.storage.fileExists(indexPath) { try log.storage.removeFile(indexPath) }
        }
        let indexPath = log.path(SegmentFileName.index(handle.baseOffset))
        if log.storage.fileExists(indexPath) { try log.storage.removeFile(indexPath) }
        try handle.file.truncate(to: plan.position)
        try handle.file.allocate(size: configuration.segmentSizeBytes)
        try handle.file.sync()
        try log.storage.syncDirectory(log.directory)

        active = handle
        position = plan.position
        syncedPosition = plan.position
        chainCRC = plan.previousCRC
        bytesSinceCheckpoint = 0
        syncer.restart(at: plan.position)
        log.lock.withLock { state in
            state.syncProgress.syncedEnd = plan.position
            state.segments.removeLast(state.segments.count - plan.segment - 1)
            let last = state.segments.count - 1
            state.segments[last].sealed = false
            state.segments[last].index.truncate(before: plan.position)
            state.segments[last].summary.dataEnd = plan.position
            state.segments[last].summary.nextOffset = cut
            state.segments[last].summary.lastCRC = plan.previousCRC
            state.nextOffset = cut
            state.durableNext = cut
            state.admittedCRC = plan.previousCRC
            state.truncations += 1
        }
        log.logger.info("truncated", metadata: ["from": "\(cut)", "segment": "\(handle.name)", "position": "\(plan.position)"])
    }

    /// Walks frames from `searchFrom` to the one starting at `offset`, returning its position
    /// and its previous CRC. Throws when `offset` falls inside a frame.
    private func findFrameBoundary(_ entry: SegmentEntry, at offset: Offset, searchFrom: Int) throws -> (position: Int, previousCRC: UInt32) {
        var position = searchFrom
        while position < entry.summary.dataEnd {
            let header = try FrameReader.header(in: entry, at: position)
            if header.baseOffset == offset { return (position, header.previousCRC) }
            if header.nextOffset > offset {
                throw LogError.truncationInsideBatch(offset: offset.previous, batchFirst: header.baseOffset, batchLast: header.nextOffset.previous)
            }
            position += header.paddedLength
        }
        preconditionFailure("offset \(offset) not found in \(entry.handle.name) below its end")
    }
}

extension Offset {
    /// The offset before this one; the log's first offset has none.
    var previous: Offset {
        precondition(rawValue > 0)
        return Offset(rawValue - 1)
    }
}
