import Logging

/// The state a log starts from, produced by `LogLoader`.
struct LoadedLog {
    var segments: [SegmentEntry]
    var nextOffset: Offset
    var lastCRC: UInt32
    var checkpointFile: (any StorageFile)?
    var checkpointSequence: UInt64
    var report: RecoveryReport
}

/// Opens a log directory: finds its segments, checks them, cuts a torn tail, rebuilds
/// missing indexes and refuses (or, read-only, fences off) corruption; SPEC.md §6.
/// The decisions are `SegmentScan` and `TailDecision`; this type only does the I/O.
struct LogLoader {
    let directory: String
    let storage: any Storage
    let configuration: LogConfiguration
    let logger: Logger

    private var readOnly: Bool { configuration.readOnly }
    private func path(_ name: String) -> String { directory + "/" + name }

    func load() throws -> LoadedLog {
        let names = try storage.listDirectory(directory)
        let bases = names.compactMap { SegmentFileName.baseOffset(of: $0, extension: SegmentFileName.segmentExtension) }.sorted()
        if !readOnly { try removeOrphanIndexes(names: names, segmentBases: Set(bases)) }
        let (checkpointFile, decoded) = try openCheckpoint()
        var report = RecoveryReport()
        var checkpoint = decoded
        var ignoredCheckpoint: LogError? = nil
        let windowBytesMax = Checkpoint.windowBytesMax(
            segmentBytes: configuration.segmentSizeBytes, configuredWindowBytes: configuration.unsyncedWindowBytes)
        if let problem = checkpoint?.implausibility(windowBytesMax: windowBytesMax) {
            ignoredCheckpoint = try ignoreCheckpoint(problem)
            checkpoint = nil
        }
        report.checkpointFound = checkpoint != nil
        guard let lastBase = bases.last else { return try loadEmpty(checkpoint: checkpoint, checkpointFile: checkpointFile, report: report) }
        if let named = checkpoint, named.segmentBase > lastBase {
            // Read-only: serve what the segments hold, without the checkpoint's watermark.
            ignoredCheckpoint = try ignoreCheckpoint("the checkpoint names segment \(SegmentFileName.segment(named.segmentBase)), which is missing")
            checkpoint = nil
        }
        let segments = try loadSegments(bases, checkpoint: checkpoint, report: &report)
        if report.corruption == nil { report.corruption = ignoredCheckpoint }
        let last = segments.last!.summary
        var loaded = LoadedLog(
            segments: segments, nextOffset: last.nextOffset, lastCRC: last.lastCRC,
            checkpointFile: checkpointFile, checkpointSequence: checkpoint?.sequence ?? 0, report: report)
        if !readOnly { try prepareForWriting(&loaded) }
        return loaded
    }

    /// The checkpoint file, when there is one, and the checkpoint it holds, when one decodes.
    private func openCheckpoint() throws -> ((any StorageFile)?, Checkpoint?) {
        guard storage.fileExists(path(SegmentFileName.checkpoint)) else { return (nil, nil) }
        let file = try storage.openFile(path(SegmentFileName.checkpoint), mode: readOnly ? .readOnly : .readWrite)
        return (file, Checkpoint.decode(file: try file.read(count: Checkpoint.fileSize, at: 0)))
    }

    /// A checkpoint that contradicts the log: an open for writing refuses it (throws); a
    /// read-only open goes on without it and returns the error to report.
    private func ignoreCheckpoint(_ reason: String) throws -> LogError {
        let error = LogError.corruptLog(directory: directory, reason: reason)
        guard readOnly else { throw error }
        logger.error("ignoring the checkpoint", metadata: ["error": "\(error)"])
        return error
    }

    /// A directory without segment files: a new log, unless the checkpoint records records.
    private func loadEmpty(checkpoint: Checkpoint?, checkpointFile: (any StorageFile)?, report: RecoveryReport) throws -> LoadedLog {
        if let checkpoint, checkpoint.nextOffset > Offset(0) {
            throw LogError.corruptLog(directory: directory, reason: "the checkpoint records \(checkpoint.nextOffset) records but no segment file exists")
        }
        guard !readOnly else {
            return LoadedLog(segments: [], nextOffset: Offset(0), lastCRC: 0, checkpointFile: nil, checkpointSequence: 0, report: report)
        }
        return try createEmpty(checkpointFile: checkpointFile, report: report)
    }

    /// Loads the segments in order, each from its index when that is consistent, else by a
    /// scan; stops at corruption (read-only: reported; otherwise thrown).
    private func loadSegments(_ bases: [Offset], checkpoint: Checkpoint?, report: inout RecoveryReport) throws -> [SegmentEntry] {
        var segments: [SegmentEntry] = []
        var previousCRC: UInt32? = nil
        for (number, base) in bases.enumerated() {
            if let last = segments.last, last.summary.nextOffset != base {
                let reason = "records \(last.summary.nextOffset) to \(base) are missing between \(last.handle.name) and \(SegmentFileName.segment(base))"
                if readOnly { report.corruption = .corruptLog(directory: directory, reason: reason); break }
                throw LogError.corruptLog(directory: directory, reason: reason)
            }
            let isLast = number == bases.count - 1
            let name = SegmentFileName.segment(base)
            let handle = SegmentHandle(baseOffset: base, name: name, file: try storage.openFile(path(name), mode: readOnly ? .readOnly : .readWrite))
            if !isLast, let entry = try loadIndexed(handle, previousCRC: previousCRC, nextBase: bases[number + 1]) {
                segments.append(entry)
                previousCRC = entry.summary.lastCRC
                continue
            }
            let synced = checkpoint?.syncedPosition(inSegment: base) ?? 0
            let window = checkpoint?.unsyncedWindowBytes ?? configuration.unsyncedWindowBytes
            let entry = try scanSegment(handle, previousCRC: previousCRC, isLast: isLast, syncedPosition: synced, unsyncedWindowBytes: window, report: &report)
            segments.append(entry)
            previousCRC = entry.summary.lastCRC
            if report.corruption != nil { break }
        }
        return segments
    }

    /// A sealed segment described by its index file, after a cheap consistency check;
    /// nil when the index must be rebuilt.
    private func loadIndexed(_ handle: SegmentHandle, previousCRC: UInt32?, nextBase: Offset) throws -> SegmentEntry? {
        let indexPath = path(SegmentFileName.index(handle.baseOffset))
        guard storage.fileExists(indexPath) else { return nil }
        let indexFile = try storage.openFile(indexPath, mode: .readOnly)
        let bytes = try indexFile.read(count: try indexFile.size(), at: 0)
        guard let (index, summary) = try? IndexFile.decode(bytes, baseOffset: handle.baseOffset, intervalBytes: configuration.indexIntervalBytes),
              summary.nextOffset == nextBase, summary.dataEnd <= (try handle.file.size()) else { return nil }
        // The first frame must be where the index says the segment starts, chained to the previous one.
        let head = try handle.file.read(count: FrameHeader.size, at: 0)
        let header = head.withUnsafeBytes { FrameHeader.parse($0) }
        guard let header, header.baseOffset == handle.baseOffset,
              previousCRC.map({ $0 == header.previousCRC }) ?? true else { return nil }
        return SegmentEntry(handle: handle, index: index, summary: summary, sealed: true)
    }

    private func scanSegment(
        _ handle: SegmentHandle, previousCRC: UInt32?, isLast: Bool, syncedPosition: Int,
        unsyncedWindowBytes: Int, report: inout RecoveryReport
    ) throws -> SegmentEntry {
        let (bytes, scan) = try readAndScan(handle, previousCRC: previousCRC, syncedPosition: syncedPosition, unsyncedWindowBytes: unsyncedWindowBytes)
        report.scannedBytes += bytes.count
        let decision = bytes.withUnsafeBytes { buffer in
            TailDecision.decide(scan: scan, bytes: buffer, isLastSegment: isLast, syncedPosition: syncedPosition, unsyncedWindowBytes: unsyncedWindowBytes)
        }
        let (index, summary) = scan.indexed(baseOffset: handle.baseOffset, intervalBytes: configuration.indexIntervalBytes)

        switch decision {
        case .clean:
            break
        case .tornTail(let position):
            let discarded = bytes[position...].reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
            report.tornTail = .init(segment: handle.name, position: position, discardedBytes: discarded)
            logger.warning("cutting torn tail", metadata: ["segment": "\(handle.name)", "position": "\(position)", "nonzero_bytes": "\(discarded)"])
            if !readOnly {
                try handle.file.truncate(to: position)
                try handle.file.allocate(size: configuration.segmentSizeBytes)
                try handle.file.sync()
            }
        case .corruption(let position, let reason):
            let error = LogError.corruptFrame(segment: path(handle.name), position: position, reason: reason.description)
            guard readOnly else { throw error }
            logger.error("serving the valid prefix only", metadata: ["error": "\(error)"])
            report.corruption = error
        }
        if !isLast {
            report.rebuiltIndexes.append(SegmentFileName.index(handle.baseOffset))
            if !readOnly && report.corruption == nil { try writeIndex(index, summary: summary) }
        }
        return SegmentEntry(handle: handle, index: index, summary: summary, sealed: !isLast)
    }

    /// Reads as much of a segment as its scan needs, and scans it: through the end of its
    /// frames plus the unsynced window, whose zeroes show the end is clean (SPEC.md §6.1), or
    /// the whole file when a frame is bad (the torn-tail decision looks at everything after it).
    /// A preallocated 64 MiB active segment holding a little data is not kept in memory whole:
    /// the rest of it is only checked to be zero, a megabyte at a time, since data after a
    /// clean end (a zeroed stretch inside the frames) is damage, not free space.
    private func readAndScan(
        _ handle: SegmentHandle, previousCRC: UInt32?, syncedPosition: Int, unsyncedWindowBytes: Int
    ) throws -> ([UInt8], SegmentScan) {
        let fileSize = try handle.file.size()
        let known = syncedPosition == Int.max ? fileSize : syncedPosition
        var length = min(fileSize, known + unsyncedWindowBytes + (1 << 20))
        while true {
            let bytes = try handle.file.read(count: length, at: 0)
            let scan = bytes.withUnsafeBytes {
                SegmentScan.scan($0, expectedOffset: handle.baseOffset, expectedPreviousCRC: previousCRC, frameBytesMax: FrameHeader.lengthMax)
            }
            if length == fileSize { return (bytes, scan) }
            if scan.defect == nil && scan.validEnd + unsyncedWindowBytes <= length {
                if try isZero(handle.file, from: length, to: fileSize) { return (bytes, scan) }
                length = fileSize
                continue
            }
            length = min(fileSize, max(2 * length, scan.validEnd + unsyncedWindowBytes + (1 << 20)))
        }
    }

    /// Whether every byte of `file` in `start..<end` is zero, read a megabyte at a time.
    private func isZero(_ file: any StorageFile, from start: Int, to end: Int) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var position = start
        while position < end {
            let count = try chunk.withUnsafeMutableBytes { buffer in
                try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(buffer.count, end - position)]), at: position)
            }
            guard count > 0 else { return true }
            if !chunk.withUnsafeBytes({ SegmentScan.allZero(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }) { return false }
            position += count
        }
        return true
    }

    /// Writes and syncs a sealed segment's index file (the caller syncs the directory).
    func writeIndex(_ index: OffsetIndex, summary: SegmentSummary) throws {
        let file = try storage.openFile(path(SegmentFileName.index(summary.baseOffset)), mode: .create)
        let bytes = IndexFile.encode(index, summary: summary)
        try file.write(bytes, at: 0)
        try file.truncate(to: bytes.count)
        try file.sync()
    }

    private func removeOrphanIndexes(names: [String], segmentBases: Set<Offset>) throws {
        var removed = false
        for name in names {
            guard let base = SegmentFileName.baseOffset(of: name, extension: SegmentFileName.indexExtension),
                  !segmentBases.contains(base) else { continue }
            try storage.removeFile(path(name))
            removed = true
        }
        if removed { try storage.syncDirectory(directory) }
    }

    private func createEmpty(checkpointFile: (any StorageFile)?, report: RecoveryReport) throws -> LoadedLog {
        let name = SegmentFileName.segment(Offset(0))
        let file = try storage.openFile(path(name), mode: .create)
        try file.allocate(size: configuration.segmentSizeBytes)
        try file.sync()
        let handle = SegmentHandle(baseOffset: Offset(0), name: name, file: file)
        let summary = SegmentSummary(baseOffset: Offset(0), nextOffset: Offset(0), dataEnd: 0, lastCRC: 0, maxTimestamp: .min)
        let entry = SegmentEntry(handle: handle, index: OffsetIndex(baseOffset: Offset(0), intervalBytes: configuration.indexIntervalBytes), summary: summary, sealed: false)
        var loaded = LoadedLog(segments: [entry], nextOffset: Offset(0), lastCRC: 0, checkpointFile: checkpointFile, checkpointSequence: 0, report: report)
        try prepareForWriting(&loaded)
        return loaded
    }

    /// Makes the recovered state the durable starting point: the active segment is synced
    /// and a new checkpoint records it.
    private func prepareForWriting(_ loaded: inout LoadedLog) throws {
        let active = loaded.segments.last!
        // The active segment may have been sealed (trimmed, indexed) just before a crash.
        try active.handle.file.allocate(size: configuration.segmentSizeBytes)
        try active.handle.file.sync()
        let staleIndex = path(SegmentFileName.index(active.baseOffset))
        if storage.fileExists(staleIndex) { try storage.removeFile(staleIndex) }
        if loaded.checkpointFile == nil {
            let file = try storage.openFile(path(SegmentFileName.checkpoint), mode: .create)
            try file.allocate(size: Checkpoint.fileSize)
            try file.sync()
            loaded.checkpointFile = file
        }
        try storage.syncDirectory(directory)
        loaded.checkpointSequence += 1
        let checkpoint = Checkpoint(
            sequence: loaded.checkpointSequence, segmentBase: active.baseOffset, syncedPosition: active.summary.dataEnd,
            nextOffset: loaded.nextOffset, lastCRC: loaded.lastCRC, unsyncedWindowBytes: configuration.unsyncedWindowBytes)
        try checkpoint.write(to: loaded.checkpointFile!)
    }
}

extension Checkpoint {
    /// Writes this checkpoint into its slot and syncs it.
    func write(to file: any StorageFile) throws {
        try file.write(encode(), at: slotPosition)
        try file.sync()
    }
}
