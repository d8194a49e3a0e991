#if canImport(Glibc)
import Glibc
#endif

extension Log {
    /// Reads the record at `offset`.
    ///
    /// Synchronous, like every read of the log: it blocks the calling thread while the frame is
    /// read from its segment file (a `pread`, which waits for the disk when the bytes are not in
    /// the page cache). Call it where a blocked thread is acceptable, not in a loop on Swift's
    /// cooperative pool or a SwiftNIO event loop when the data may be cold.
    ///
    /// - Throws: `.offsetOutOfRange` when it is not in `firstOffset..<nextOffset`;
    ///   `.corruptFrame` when its frame fails its checks; `.io` on a read error.
    public func read(at offset: Offset) throws(LogError) -> LogRecord {
        let records = try read(from: offset, maxBytes: 1)
        guard let record = records.first else {
            let (first, next) = lock.withLock { ($0.firstOffset, $0.durableNext) }
            throw .offsetOutOfRange(requested: offset, first: first, next: next)
        }
        return record
    }

    /// Reads records from `offset` on, in order, until their values, keys and headers add
    /// up to `maxBytes` or the readable end is reached. At least one record is returned when
    /// `offset` is below `nextOffset`, however large; none when it equals `nextOffset`.
    ///
    /// Each frame is located through the sparse index, read, and checked (length, CRC,
    /// header, record encoding) before any of its records is returned. Synchronous: blocks the
    /// calling thread on each frame's `pread` (see `read(at:)`).
    /// - Throws: `.offsetOutOfRange`, `.corruptFrame`, `.io`.
    public func read(from offset: Offset, maxBytes: Int = 1 << 20) throws(LogError) -> [LogRecord] {
        var records: [LogRecord] = []
        var bytes = 0
        try forEachFrame(from: offset) { (header, frameBytes, entry, position) throws(LogError) in
            let decoded: [LogRecord]
            do throws(FrameDefect) {
                decoded = try FrameDecoder.records(frameBytes, header: header)
            } catch {
                throw FrameReader.corrupt(entry, position, error)
            }
            for record in decoded where record.offset >= offset {
                records.append(record)
                bytes += record.value.count + (record.key?.count ?? 0)
                    + record.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
                if bytes >= maxBytes { return false }
            }
            return true
        }
        return records
    }

    /// Reads as `read(from:maxBytes:)` does, with each record's key and value as slices of the
    /// bytes its frame was read into: one array per frame (two for a compressed one) instead of
    /// one per key and value. For scans, where copying every value costs more than reading it.
    ///
    /// Synchronous: blocks the calling thread on each frame's `pread` (see `read(at:)`);
    /// `fetch(from:maxBytes:)` is the same read for a task, on the I/O engine's threads.
    /// - Throws: `.offsetOutOfRange`, `.corruptFrame`, `.io`.
    public func readSlices(from offset: Offset, maxBytes: Int = 1 << 20) throws(LogError) -> [RecordSlice] {
        var records: [RecordSlice] = []
        var bytes = 0
        try forEachFrame(from: offset) { (header, frameBytes, entry, position) throws(LogError) in
            let first = records.count
            do throws(FrameDefect) {
                try FrameDecoder.slices([UInt8](frameBytes), header: header, into: &records)
            } catch {
                throw FrameReader.corrupt(entry, position, error)
            }
            // The first frame may start before `offset`: its earlier records are not asked for.
            if header.baseOffset < offset {
                records.removeSubrange(first..<first + Int(offset.rawValue - header.baseOffset.rawValue))
            }
            var index = first
            while index < records.count {
                bytes += records[index].contentBytes
                index += 1
                if bytes >= maxBytes {
                    records.removeSubrange(index...)
                    return false
                }
            }
            return true
        }
        return records
    }

    /// Calls `body` with each record from `offset` on, in order, until it returns false, the
    /// records' values, keys and headers add up to `maxBytes` (the record that reaches it is
    /// the last), or the readable end is reached. The fastest read: the records are views of
    /// one buffer the scan reuses, read in large preads, with no allocation per record or
    /// frame (but one per compressed frame), so a view is valid only during its call.
    /// Every frame is checked (length, CRC, header, every record's encoding) before any of its
    /// records is handed over, as for `read(from:maxBytes:)`.
    ///
    /// Synchronous: blocks the calling thread on `pread` (see `read(at:)`).
    /// - Returns: the offset after the last record handed over (`offset` when none was).
    /// - Throws: `.offsetOutOfRange`, `.corruptFrame`, `.io`.
    @discardableResult
    public func scan(from offset: Offset, maxBytes: Int = .max, _ body: (RecordView) -> Bool) throws(LogError) -> Offset {
        var next = offset
        var bytes = 0
        var layouts: [RecordCodec.RecordLayout] = []
        try forEachFrame(from: offset) { (header, frameBytes, entry, position) throws(LogError) in
            do throws(FrameDefect) {
                return try FrameDecoder.views(frameBytes, header: header, layouts: &layouts) { view in
                    guard view.offset >= offset else { return true }
                    next = view.offset.advanced(by: 1)
                    bytes += view.contentBytes
                    return body(view) && bytes < maxBytes
                }
            } catch {
                throw FrameReader.corrupt(entry, position, error)
            }
        }
        return next
    }

    /// Reads as `readSlices(from:maxBytes:)` does, on the I/O engine's read threads: the task
    /// suspends while the frames are read, and no thread of Swift's cooperative pool (or an
    /// event loop awaiting it) blocks on the disk. At most 8 such reads run at once in a
    /// process; more wait their turn, in order.
    /// - Throws: `.offsetOutOfRange`, `.corruptFrame`, `.io`.
    public func fetch(from offset: Offset, maxBytes: Int = 1 << 20) async throws(LogError) -> [RecordSlice] {
        let outcome = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<[RecordSlice], LogError>, Never>) in
            IOEngine.shared.readPool.run({
                Result { () throws(LogError) in try self.readSlices(from: offset, maxBytes: maxBytes) }
            }, then: { continuation.resume(returning: $0) })
        }
        return try outcome.get()
    }

    /// Reads whole frames, as stored, from the one holding `offset` on (it may start before
    /// `offset`), until their lengths add up to `maxBytes` or the readable end is reached.
    /// At least one frame is returned when `offset` is below `nextOffset`. Every frame's
    /// length, CRC and header are checked; its records are not decoded. For replication.
    /// Synchronous: blocks the calling thread on each frame's `pread` (see `read(at:)`).
    /// - Throws: `.offsetOutOfRange`, `.corruptFrame`, `.io`.
    public func readFrames(from offset: Offset, maxBytes: Int) throws(LogError) -> [SealedFrame] {
        var frames: [SealedFrame] = []
        var bytes = 0
        try forEachFrame(from: offset) { (header, frameBytes, _, _) throws(LogError) in
            frames.append(SealedFrame(checked: [UInt8](frameBytes), header: header))
            bytes += frameBytes.count
            return bytes < maxBytes
        }
        return frames
    }

    /// Calls `visit` with each checked frame (header, bytes, segment, position) from the one
    /// holding `offset` on, in order across segments, until it returns false or the readable
    /// end. A truncation that starts or ends while a frame is read ends the walk before that
    /// frame: its bytes may be cut away (not corruption) or written after the cut (not yet
    /// acknowledged), so the reader sees neither; so does a read error while one runs. A walk
    /// so ended before it visited anything starts again on the segments as they are now.
    /// The frame's bytes are the walk's window (`FrameWindow`): valid during the call only.
    func forEachFrame(
        from offset: Offset,
        _ visit: (FrameHeader, UnsafeRawBufferPointer, SegmentEntry, Int) throws(LogError) -> Bool
    ) throws(LogError) {
        let window = FrameWindow()
        while try walkFrames(from: offset, window: window, visit) == .overlappedTruncation {
            sched_yield()
        }
    }

    private enum WalkEnd { case done, overlappedTruncation }

    private func walkFrames(
        from offset: Offset, window: FrameWindow,
        _ visit: (FrameHeader, UnsafeRawBufferPointer, SegmentEntry, Int) throws(LogError) -> Bool
    ) throws(LogError) -> WalkEnd {
        var cursor = ReadCursor(next: offset)
        while let snapshot = try locate(cursor.next, continuing: cursor.visited) {
            switch try walk(snapshot, &cursor, window: window, visit) {
            case .segmentEnd: continue
            case .stopped: return .done
            case .overlappedTruncation: return cursor.visited ? .done : .overlappedTruncation
            }
        }
        return .done
    }

    /// Where a read walk is: the next offset it wants, and whether it returned anything yet.
    struct ReadCursor {
        var next: Offset
        var visited = false
    }

    /// What a reader took under the lock: the segment as it was, where to start in it, and
    /// the truncation epoch then.
    struct ReadSnapshot {
        let entry: SegmentEntry
        let start: Int
        let epoch: Int
    }

    enum SegmentWalkEnd: Equatable { case segmentEnd, stopped, overlappedTruncation }

    /// Visits the frames of one segment as `snapshot` describes it, stopping before any frame
    /// read while a truncation ran or after one (SPEC.md §6.4).
    func walk(
        _ snapshot: ReadSnapshot, _ cursor: inout ReadCursor, window: FrameWindow,
        _ visit: (FrameHeader, UnsafeRawBufferPointer, SegmentEntry, Int) throws(LogError) -> Bool
    ) throws(LogError) -> SegmentWalkEnd {
        let entry = snapshot.entry
        var position = snapshot.start
        window.begin(epoch: snapshot.epoch)
        while position < entry.summary.dataEnd {
            let header: FrameHeader
            let frameBytes: UnsafeRawBufferPointer
            do {
                (header, frameBytes) = try window.frame(in: entry, at: position, limit: entry.summary.dataEnd)
            } catch {
                if snapshot.epoch % 2 == 1 || truncated(since: snapshot.epoch) { return .overlappedTruncation }
                throw error
            }
            if truncated(since: snapshot.epoch) { return .overlappedTruncation }
            let framePosition = position
            position += header.paddedLength
            guard header.nextOffset > cursor.next else { continue }
            cursor.visited = true
            cursor.next = header.nextOffset
            guard try visit(header, frameBytes, entry, framePosition) else { return .stopped }
        }
        return cursor.next == entry.summary.nextOffset ? .segmentEnd : .stopped
    }

    /// Whether a truncation started or ended since a reader took `epoch`: its snapshot of the
    /// segments may then describe bytes that are gone or rewritten. (Bytes read while one was
    /// already running, with the epoch unchanged, are the old, acknowledged ones or zeroes.)
    private func truncated(since epoch: Int) -> Bool {
        lock.withLock { $0.truncationEpoch } != epoch
    }

    /// Finds where `offset` is read from: the segment (as of now), the position of the
    /// indexed frame at or before it, and the truncation epoch. nil at the readable end.
    func locate(_ offset: Offset, continuing: Bool) throws(LogError) -> ReadSnapshot? {
        try lock.withLock { (state) throws(LogError) -> ReadSnapshot? in
            if offset == state.durableNext && (continuing || offset >= state.firstOffset) { return nil }
            guard offset >= state.firstOffset, offset < state.durableNext,
                  let number = state.segments.segmentIndex(holding: offset) else {
                if continuing { return nil }
                throw .offsetOutOfRange(requested: offset, first: state.firstOffset, next: state.durableNext)
            }
            let entry = state.segments[number]
            return ReadSnapshot(entry: entry, start: entry.index.position(before: offset), epoch: state.truncationEpoch)
        }
    }
}
