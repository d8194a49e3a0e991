#if canImport(Glibc)
import Glibc
#endif

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
    private var expectedOffset = Offset(0)
    private var previousCRC: UInt32?
    private let frameBytesMax: Int
    private var stalledPolls = 0
    private var stalledAt: (Offset?, Int)? = nil
    /// Set when the bytes after the last valid frame have failed the checks for a while.
    package private(set) var stalled: String?

    /// Starts at `from` (nil: at the current end of the log).
    package init(directory: String, from: UInt64?) throws(InspectionError) {
        self.directory = directory
        self.from = from
        guard InspectionFiles.isDirectory(directory) else { throw .notADirectory(directory) }
        frameBytesMax = FrameHeader.lengthMax
        if let from {
            let names: [String]
            do { names = try InspectionFiles.list(directory) } catch { throw .io(error) }
            let bases = LogInspector.segmentBases(names)
            if let first = bases.first, from < first.rawValue { throw .offsetBeforeStart(requested: from, first: first.rawValue) }
            if let base = bases.last(where: { $0.rawValue <= from }) { try enter(base) }
        } else {
            let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: false)
            if let cut = report.cut {
                let segment = report.segments[cut.isGap ? max(cut.segmentIndex - 1, 0) : cut.segmentIndex]
                try enter(Offset(segment.baseOffset))
                position = cut.isGap ? segment.dataBytes : cut.position
                expectedOffset = Offset(report.nextOffset)
            } else if let last = report.segments.last {
                try enter(Offset(last.baseOffset))
                position = last.dataBytes
                expectedOffset = Offset(last.nextOffset)
            }
            previousCRC = nil
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// The offset of the next record the follower expects.
    package var nextOffset: UInt64 { expectedOffset.rawValue }

    private func enter(_ base: Offset) throws(InspectionError) {
        let path = directory + "/" + SegmentFileName.segment(base)
        let fd: Int32
        do { fd = try InspectionFiles.openReadOnly(path) } catch { throw .io(error) }
        if descriptor >= 0 { close(descriptor) }
        descriptor = fd
        segmentBase = base
        position = 0
        expectedOffset = base
    }

    /// New records since the last poll (at most about `limit`), in order.
    package func poll(limit: Int = 10_000) throws(InspectionError) -> [LogRecord] {
        var records: [LogRecord] = []
        if segmentBase == nil {
            let names: [String]
            do { names = try InspectionFiles.list(directory) } catch { throw .io(error) }
            guard let first = LogInspector.segmentBases(names).first else { return [] }
            try enter(first)
        }
        guard let base = segmentBase else { return [] }
        let path = directory + "/" + SegmentFileName.segment(base)
        var checkedNext = false
        while records.count < limit {
            let head: [UInt8]
            do { head = try InspectionFiles.read(descriptor, path: path, count: FrameHeader.size, at: position) } catch { throw .io(error) }
            let length = head.count >= 4 ? head.withUnsafeBytes { Int(ByteCoding.loadUInt32($0, at: 0)) } : 0
            if length == 0 {
                // End of this segment's data so far: has the writer moved on to the next one?
                let next = SegmentFileName.segment(expectedOffset)
                guard expectedOffset != segmentBase, InspectionFiles.exists(directory + "/" + next) else { break }
                if !checkedNext { checkedNext = true; continue }  // re-read once: the roll completes this file first
                let chain = previousCRC
                let offset = expectedOffset
                try enter(offset)
                previousCRC = chain
                return records + (try poll(limit: limit - records.count))
            }
            checkedNext = false
            guard length >= FrameHeader.size, length <= frameBytesMax else { noteStall("invalid frame length \(length)"); break }
            let fileSize: Int
            do { fileSize = try InspectionFiles.size(descriptor, path: path) } catch { throw .io(error) }
            guard position + length <= fileSize else { noteStall("frame of \(length) bytes runs past the end of the file"); break }
            let bytes: [UInt8]
            do { bytes = try InspectionFiles.read(descriptor, path: path, count: length, at: position) } catch { throw .io(error) }
            guard bytes.count == length else { noteStall("frame truncated"); break }
            let decoded: Result<(FrameHeader, [LogRecord]), FrameDefect> = bytes.withUnsafeBytes { buffer in
                do throws(FrameDefect) {
                    let header = try FrameDecoder.validate(buffer, frameBytesMax: frameBytesMax)
                    guard header.baseOffset == expectedOffset else {
                        throw .outOfSequence("base offset \(header.baseOffset), expected \(expectedOffset)")
                    }
                    if let previousCRC, header.previousCRC != previousCRC {
                        throw .outOfSequence("previous CRC 0x\(String(header.previousCRC, radix: 16)), expected 0x\(String(previousCRC, radix: 16))")
                    }
                    return .success((header, try FrameDecoder.records(buffer, header: header)))
                } catch {
                    return .failure(error)
                }
            }
            switch decoded {
            case .failure(let defect):
                noteStall(defect.description)
                return records
            case .success(let (header, frameRecords)):
                stalledPolls = 0
                stalled = nil
                position += header.paddedLength
                expectedOffset = header.nextOffset
                previousCRC = header.crc
                records.append(contentsOf: frameRecords.filter { $0.offset.rawValue >= (from ?? 0) })
            }
        }
        return records
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
