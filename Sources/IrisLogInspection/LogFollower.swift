#if canImport(Glibc)
import Glibc
#endif
import IrisLog

/// Follows a log directory written by another process, for `iris-log tail`.
///
/// A read-only `Log` never sees appends made after it opened (it does not re-scan), so the
/// follower polls the files itself: each `poll()` reads on from where the previous one
/// stopped in the segment file, returning every new complete frame that passes all checks
/// (length, CRC, header, offset and CRC chain, record decoding), and moves to the next
/// segment once that file exists (the writer creates it only after the previous segment is
/// complete). Bytes that do not form a valid frame yet (a write in progress) are retried at
/// the next poll; when they stay invalid, `stalled` describes them.
///
/// A frame is returned once it is written completely. The writer acknowledges it once its
/// fdatasync completes, a moment later: only an operating-system crash in that moment could
/// remove a record the follower has shown.
package final class LogFollower {
    package let directory: String
    /// Records before this offset are skipped.
    package let from: UInt64?
    private var segmentBase: Offset?
    private var descriptor: Int32 = -1
    private var position = 0
    /// The offset and CRC the next frame must carry.
    private var chain = FrameChain(nextOffset: Offset(0), lastCRC: nil)
    private var stalledPolls = 0
    private var stalledAt: (Offset?, Int)? = nil
    /// Set when the bytes after the last valid frame have failed the checks for a while.
    package private(set) var stalled: String?

    /// Starts at `from` (nil: at the current end of the log).
    package init(directory: String, from: UInt64?) throws(InspectionError) {
        self.directory = directory
        self.from = from
        guard InspectionFiles.isDirectory(directory) else { throw .notADirectory(directory) }
        if let from {
            let bases = LogInspector.segmentBases(try InspectionFiles.list(directory))
            if let first = bases.first, from < first.rawValue { throw .offsetBeforeStart(requested: from, first: first.rawValue) }
            if let base = bases.last(where: { $0.rawValue <= from }) { try enter(base) }
        } else {
            try enterAtEnd()
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// The offset of the next record the follower expects.
    package var nextOffset: UInt64 { chain.nextOffset.rawValue }

    /// Positions the follower after the last valid frame of the log as it is now, with no CRC
    /// to chain to (the frame before it was not read).
    private func enterAtEnd() throws(InspectionError) {
        let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: false)
        if let cut = report.cut {
            let segment = report.segments[cut.isGap ? max(cut.segmentIndex - 1, 0) : cut.segmentIndex]
            try enter(Offset(segment.baseOffset))
            position = cut.isGap ? segment.dataBytes : cut.position
            chain.nextOffset = Offset(report.nextOffset)
        } else if let last = report.segments.last {
            try enter(Offset(last.baseOffset))
            position = last.dataBytes
            chain.nextOffset = Offset(last.nextOffset)
        }
        chain.lastCRC = nil
    }

    /// Opens segment `base` and starts at its first frame; the chain's CRC carries over.
    private func enter(_ base: Offset) throws(InspectionError) {
        let path = directory + "/" + SegmentFileName.segment(base)
        let fd = try InspectionFiles.openReadOnly(path)
        if descriptor >= 0 { close(descriptor) }
        descriptor = fd
        segmentBase = base
        position = 0
        chain.nextOffset = base
    }

    /// New records since the last poll (at most about `limit`), in order.
    package func poll(limit: Int = 10_000) throws(InspectionError) -> [LogRecord] {
        if segmentBase == nil {
            let names = try InspectionFiles.list(directory)
            guard let first = LogInspector.segmentBases(names).first else { return [] }
            try enter(first)
        }
        var records: [LogRecord] = []
        var checkedNext = false
        while records.count < limit {
            switch try readFrame() {
            case .records(let frameRecords):
                checkedNext = false
                records.append(contentsOf: frameRecords.filter { $0.offset.rawValue >= (from ?? 0) })
            case .endOfData:
                // End of this segment's data so far: has the writer moved on to the next one?
                let next = SegmentFileName.segment(chain.nextOffset)
                guard chain.nextOffset != segmentBase, InspectionFiles.exists(directory + "/" + next) else { return records }
                if !checkedNext { checkedNext = true; continue }  // re-read once: the roll completes this file first
                try enter(chain.nextOffset)
                return records + (try poll(limit: limit - records.count))
            case .stalled(let reason):
                noteStall(reason)
                return records
            }
        }
        return records
    }

    /// What the bytes at `position` hold.
    private enum Read {
        /// A complete frame that passed every check, now behind the follower.
        case records([LogRecord])
        /// Zeroes: the writer has written nothing here yet.
        case endOfData
        /// Bytes that do not form a valid frame (yet), and why.
        case stalled(String)
    }

    /// Reads the frame at `position` (its head, then the whole frame) and accepts it.
    private func readFrame() throws(InspectionError) -> Read {
        let path = directory + "/" + SegmentFileName.segment(segmentBase ?? Offset(0))
        let head = try InspectionFiles.read(descriptor, path: path, count: FrameHeader.size, at: position)
        let length = FrameReader.claimedLength(ofHead: head)
        if length == 0 { return .endOfData }
        guard FrameReader.plausibleLengths.contains(length) else { return .stalled("invalid frame length \(length)") }
        let fileSize = try InspectionFiles.size(descriptor, path: path)
        guard position + length <= fileSize else { return .stalled("frame of \(length) bytes runs past the end of the file") }
        let bytes = try InspectionFiles.read(descriptor, path: path, count: length, at: position)
        guard bytes.count == length else { return .stalled("frame truncated") }
        return accept(bytes)
    }

    /// Checks a whole frame (`FrameChain.accept`) and decodes its records; on success the
    /// follower moves past it.
    private func accept(_ bytes: [UInt8]) -> Read {
        var next = chain
        let decoded: Result<(FrameHeader, [LogRecord]), FrameDefect> = bytes.withUnsafeBytes { buffer in
            do throws(FrameDefect) {
                let header = try next.accept(buffer, frameBytesMax: FrameHeader.lengthMax)
                return .success((header, try FrameDecoder.records(buffer, header: header)))
            } catch {
                return .failure(error)
            }
        }
        switch decoded {
        case .failure(let defect):
            return .stalled(defect.description)
        case .success(let (header, records)):
            stalledPolls = 0
            stalled = nil
            position += header.paddedLength
            chain = next
            return .records(records)
        }
    }

    private func noteStall(_ reason: String) {
        if let stalledAt, stalledAt.0 == segmentBase, stalledAt.1 == position {
            stalledPolls += 1
        } else {
            stalledAt = (segmentBase, position)
            stalledPolls = 1
        }
        if stalledPolls >= 50 {
            stalled = "\(SegmentFileName.segment(segmentBase ?? Offset(0))) at byte \(position): \(reason) (waiting for a writer to repair or overwrite it)"
        }
    }
}
