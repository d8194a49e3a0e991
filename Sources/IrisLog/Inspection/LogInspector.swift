#if canImport(Glibc)
import Glibc
#endif

/// Read-only, frame-by-frame inspection of a log directory for `iris-log` (info, verify,
/// dump, repair, index). It reads the files directly (O_RDONLY, no lock) and applies the
/// same rules as recovery (SPEC.md §3.2, §4, §5, §6), but reports every problem it finds
/// with file and byte position instead of stopping at the first one.

/// One problem (or note) about a log directory.
package struct InspectionFinding: Sendable, Equatable {
    package enum Kind: String, Sendable {
        /// Damaged data: a frame, the chain, a gap, the checkpoint.
        case corruption
        /// A damaged or inconsistent index file (derived data; `index --rebuild` fixes it).
        case index
        /// The unsynced remains of a crash after the last frame; the next open for writing cuts it.
        case tornTail = "torn_tail"
        /// Harmless: something the next open for writing tidies up.
        case note
    }

    package var kind: Kind
    /// File name inside the log directory.
    package var file: String
    package var position: Int?
    package var reason: String

    /// Whether `verify` fails (exit 1) because of this finding.
    package var isError: Bool { kind == .corruption || kind == .index }
}

/// What a segment holds, as far as its valid frames go.
package struct InspectedSegment: Sendable {
    package var name: String
    package var baseOffset: UInt64
    /// Offset after the last valid record.
    package var nextOffset: UInt64
    package var fileBytes: Int
    /// End of the last valid frame (padding included).
    package var dataBytes: Int
    package var frames: Int
    package var records: Int
    package var compressedFrames: Int
    package var compressedRecords: Int
    /// Payload bytes as stored (after compression) and before compression.
    package var storedPayloadBytes: Int
    package var uncompressedPayloadBytes: Int
    package var minTimestamp: Int64?
    package var maxTimestamp: Int64?
    /// Every segment but the newest is sealed.
    package var sealed: Bool
    /// "ok", "missing", "damaged", "active" (none expected) or "unchecked".
    package var index: String
    /// The segment lies after the first corruption: not part of the log's valid prefix.
    package var beyondCorruption: Bool
}

/// The valid checkpoint, if any.
package struct CheckpointSummary: Sendable {
    package var sequence: UInt64
    package var segmentBase: UInt64
    package var syncedPosition: Int
    package var nextOffset: UInt64
    package var unsyncedWindowBytes: Int
}

/// Where the valid prefix of the log ends.
package struct PrefixCut: Sendable {
    /// Index into `InspectionReport.segments`.
    package var segmentIndex: Int
    /// Frames before this position of that segment are valid.
    package var position: Int
    /// The segment does not join the previous one: none of it is in the prefix.
    package var isGap: Bool
    package var reason: String
}

package struct InspectionReport: Sendable {
    package var directory: String
    package var segments: [InspectedSegment] = []
    package var findings: [InspectionFinding] = []
    package var checkpoint: CheckpointSummary?
    /// Where the valid prefix ends, when corruption was found in segment data.
    package var cut: PrefixCut?
    /// The checkpoint file is damaged or contradicts the segments.
    package var checkpointDamaged = false
    /// Index files whose segment is missing, and index files of the active segment.
    package var strayIndexes: [String] = []
    /// The walk stopped early because the caller asked.
    package var stoppedEarly = false

    package var hasErrors: Bool { findings.contains { $0.isError } }
    package var firstOffset: UInt64 { segments.first?.baseOffset ?? 0 }

    /// The offset after the last record of the valid prefix.
    package var nextOffset: UInt64 {
        guard let cut else { return segments.last?.nextOffset ?? 0 }
        if cut.isGap { return cut.segmentIndex == 0 ? segments[0].baseOffset : segments[cut.segmentIndex - 1].nextOffset }
        return segments[cut.segmentIndex].nextOffset
    }

    /// Segments in the valid prefix.
    package var prefixSegments: ArraySlice<InspectedSegment> {
        guard let cut else { return segments[...] }
        return segments[..<(cut.isGap ? cut.segmentIndex : cut.segmentIndex + 1)]
    }
}

package enum LogInspector {
    static func segmentBases(_ names: [String]) -> [Offset] {
        names.compactMap { SegmentFileName.baseOffset(of: $0, extension: SegmentFileName.segmentExtension) }.sorted()
    }

    /// The size of the newest segment file when it is a valid segment size (a log's active
    /// segment is preallocated to its configured size), for tools that open a log to write.
    package static func inferredSegmentSize(directory: String) -> Int? {
        guard let names = try? InspectionFiles.list(directory), let last = segmentBases(names).last else { return nil }
        let path = directory + "/" + SegmentFileName.segment(last)
        guard let fd = try? InspectionFiles.openReadOnly(path) else { return nil }
        defer { _ = close(fd) }
        guard let size = try? InspectionFiles.size(fd, path: path), size >= 64 << 10, size <= 1 << 30 else { return nil }
        return size
    }

    /// Inspects every file of the log in `directory`.
    ///
    /// - Parameters:
    ///   - decodeRecords: decode every record of every frame (verify, dump); otherwise only
    ///     frame headers and CRCs are checked (info).
    ///   - checkIndexes: compare each sealed segment's index file with its frames.
    ///   - startOffset: skip whole segments that end before this offset (dump); the chain is
    ///     then checked from the first segment read on.
    ///   - progress: called with (bytes done, bytes total) as segments are read.
    ///   - onRecords: receives the decoded records of each frame of the valid prefix, in
    ///     order (only with decodeRecords); return false to stop the walk.
    package static func inspect(
        directory: String, decodeRecords: Bool, checkIndexes: Bool, startOffset: UInt64? = nil,
        progress: ((Int, Int) -> Void)? = nil, onRecords: (([LogRecord]) -> Bool)? = nil
    ) throws(InspectionError) -> InspectionReport {
        guard InspectionFiles.isDirectory(directory) else { throw .notADirectory(directory) }
        let names: [String]
        do { names = try InspectionFiles.list(directory) } catch { throw .io(error) }
        var bases = segmentBases(names)
        let indexBases = Set(names.compactMap { SegmentFileName.baseOffset(of: $0, extension: SegmentFileName.indexExtension) })
        guard !bases.isEmpty || names.contains(SegmentFileName.checkpoint) else { throw .notALog(directory) }
        var report = InspectionReport(directory: directory)

        // Checkpoint (§5).
        var checkpoint: Checkpoint? = nil
        if names.contains(SegmentFileName.checkpoint) {
            let bytes: [UInt8]
            do { bytes = try InspectionFiles.readWhole(directory + "/" + SegmentFileName.checkpoint) } catch { throw .io(error) }
            checkpoint = Checkpoint.decode(file: bytes)
            if checkpoint == nil {
                if bytes.allSatisfy({ $0 == 0 }) {
                    report.findings.append(.init(kind: .note, file: SegmentFileName.checkpoint, position: 0,
                                                 reason: "the checkpoint was created but never written (all zero); the next open writes it"))
                } else {
                    report.checkpointDamaged = true
                    report.findings.append(.init(kind: .corruption, file: SegmentFileName.checkpoint, position: 0,
                                                 reason: "neither checkpoint slot (bytes 0 and 4096) has a valid magic, version and CRC"))
                }
            }
        }
        // Segment files are at most their configured size, so the largest bounds the window.
        let largestSegment = bases.map { base -> Int in
            let path = directory + "/" + SegmentFileName.segment(base)
            guard let fd = try? InspectionFiles.openReadOnly(path) else { return 0 }
            defer { _ = close(fd) }
            return (try? InspectionFiles.size(fd, path: path)) ?? 0
        }.max() ?? 0
        let windowBytesMax = Checkpoint.windowBytesMax(
            segmentBytes: largestSegment, configuredWindowBytes: LogConfiguration().unsyncedWindowBytes)
        if let checkpoint {
            report.checkpoint = CheckpointSummary(
                sequence: checkpoint.sequence, segmentBase: checkpoint.segmentBase.rawValue,
                syncedPosition: checkpoint.syncedPosition, nextOffset: checkpoint.nextOffset.rawValue,
                unsyncedWindowBytes: checkpoint.unsyncedWindowBytes)
            if let problem = checkpoint.implausibility(windowBytesMax: windowBytesMax) {
                report.checkpointDamaged = true
                report.findings.append(.init(kind: .corruption, file: SegmentFileName.checkpoint, position: Int(checkpoint.slotPosition), reason: problem))
            } else if bases.isEmpty, checkpoint.nextOffset > Offset(0) {
                report.checkpointDamaged = true
                report.findings.append(.init(kind: .corruption, file: SegmentFileName.checkpoint, position: Int(checkpoint.slotPosition),
                                             reason: "the checkpoint records \(checkpoint.nextOffset) records but no segment file exists"))
            } else if let last = bases.last, checkpoint.segmentBase > last {
                report.checkpointDamaged = true
                report.findings.append(.init(kind: .corruption, file: SegmentFileName.checkpoint, position: Int(checkpoint.slotPosition),
                                             reason: "the checkpoint names segment \(SegmentFileName.segment(checkpoint.segmentBase)), which is missing"))
            }
        }
        for base in indexBases.sorted() where !bases.contains(base) {
            report.strayIndexes.append(SegmentFileName.index(base))
            report.findings.append(.init(kind: .note, file: SegmentFileName.index(base), position: nil,
                                         reason: "index file without a segment; deleted at the next open for writing"))
        }

        let allBases = bases
        if let startOffset, let first = bases.first, startOffset < first.rawValue {
            throw .offsetBeforeStart(requested: startOffset, first: first.rawValue)
        }
        if let startOffset, let start = bases.lastIndex(where: { $0.rawValue <= startOffset }) {
            bases.removeFirst(start)
        }
        let frameBytesMax = FrameHeader.lengthMax
        // A checkpoint whose window no writer uses is reported above and its window ignored.
        let window = checkpoint.flatMap { $0.implausibility(windowBytesMax: windowBytesMax) == nil ? $0.unsyncedWindowBytes : nil }
            ?? LogConfiguration().unsyncedWindowBytes
        var totalBytes = 0
        for base in bases {
            let path = directory + "/" + SegmentFileName.segment(base)
            if let fd = try? InspectionFiles.openReadOnly(path) {
                totalBytes += (try? InspectionFiles.size(fd, path: path)) ?? 0
                _ = close(fd)
            }
        }
        var doneBytes = 0
        progress?(0, totalBytes)

        var previous: (nextOffset: Offset, lastCRC: UInt32?)? = nil
        // After damage inside a segment its true end is unknown: the next one is not checked to join it.
        var previousSegmentCut = false
        for (number, base) in bases.enumerated() {
            let name = SegmentFileName.segment(base)
            let isLast = base == allBases.last
            let bytes: [UInt8]
            do { bytes = try InspectionFiles.readWhole(directory + "/" + name) } catch { throw .io(error) }
            var expectedPreviousCRC = previous?.lastCRC
            if let previous, previous.nextOffset != base, !previousSegmentCut {
                let reason = previous.nextOffset < base
                    ? "records \(previous.nextOffset) to \(base.rawValue - 1) are missing: the previous segment ends before offset \(previous.nextOffset) but this one starts at \(base)"
                    : "the segment starts at offset \(base) but the previous segment holds records up to \(previous.nextOffset.rawValue - 1)"
                report.findings.append(.init(kind: .corruption, file: name, position: 0, reason: reason))
                if report.cut == nil { report.cut = PrefixCut(segmentIndex: number, position: 0, isGap: true, reason: reason) }
                expectedPreviousCRC = nil
            }
            let synced = checkpoint?.syncedPosition(inSegment: base) ?? 0
            var segment = InspectedSegment(
                name: name, baseOffset: base.rawValue, nextOffset: base.rawValue, fileBytes: bytes.count, dataBytes: 0,
                frames: 0, records: 0, compressedFrames: 0, compressedRecords: 0, storedPayloadBytes: 0, uncompressedPayloadBytes: 0,
                minTimestamp: nil, maxTimestamp: nil, sealed: !isLast, index: isLast ? "active" : "unchecked",
                beyondCorruption: report.cut != nil)
            var stop = false
            var segmentCut: (position: Int, reason: String)? = nil
            var lastCRC = expectedPreviousCRC
            bytes.withUnsafeBytes { buffer in
                let scan = SegmentScan.scan(buffer, expectedOffset: base, expectedPreviousCRC: expectedPreviousCRC, frameBytesMax: frameBytesMax)
                var frames = scan.frames[...]
                if decodeRecords {
                    for (count, frame) in scan.frames.enumerated() {
                        if count % 512 == 511 { progress?(doneBytes + frame.position, totalBytes) }
                        let frameBytes = UnsafeRawBufferPointer(rebasing: buffer[frame.position...])
                        do throws(FrameDefect) {
                            let records = try FrameDecoder.records(frameBytes, header: frame.header)
                            if !stop, report.cut == nil, let onRecords, !onRecords(records) { stop = true }
                        } catch {
                            frames = scan.frames[..<count]
                            segmentCut = (frame.position, "frame at offset \(frame.header.baseOffset) does not decode: \(error.description)")
                            break
                        }
                        if stop { frames = scan.frames[...count]; break }
                    }
                }
                for frame in frames {
                    let header = frame.header
                    segment.frames += 1
                    segment.records += Int(header.recordCount)
                    segment.nextOffset = header.nextOffset.rawValue
                    segment.dataBytes = frame.position + header.paddedLength
                    segment.storedPayloadBytes += Int(header.length) - FrameHeader.size
                    segment.uncompressedPayloadBytes += Int(header.uncompressedLength)
                    if header.codec != .none {
                        segment.compressedFrames += 1
                        segment.compressedRecords += Int(header.recordCount)
                    }
                    segment.minTimestamp = min(segment.minTimestamp ?? .max, header.baseTimestamp)
                    segment.maxTimestamp = max(segment.maxTimestamp ?? .min, header.baseTimestamp)
                    lastCRC = header.crc
                }
                if stop { return }
                if segmentCut == nil {
                    switch TailDecision.decide(scan: scan, bytes: buffer, isLastSegment: isLast, syncedPosition: synced, unsyncedWindowBytes: window) {
                    case .clean:
                        break
                    case .tornTail(let position):
                        let nonZero = buffer[position...].reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
                        report.findings.append(.init(
                            kind: .tornTail, file: name, position: position,
                            reason: "torn tail (recoverable): the last frame's write was cut short (\(scan.defect?.reason.description ?? "")) and \(nonZero) non-zero bytes follow within the unsynced window; the next open for writing cuts them"))
                    case .corruption(let position, let defect):
                        let reason = scan.defect == nil
                            ? "valid frames end at byte \(position) but the checkpoint records data synced up to byte \(synced)"
                            : defect.description
                        if segmentCut == nil { segmentCut = (position, reason) }
                    }
                }
            }
            doneBytes += bytes.count
            progress?(doneBytes, totalBytes)
            if let (position, reason) = segmentCut {
                report.findings.append(.init(kind: .corruption, file: name, position: position, reason: reason))
                if report.cut == nil { report.cut = PrefixCut(segmentIndex: number, position: position, isGap: false, reason: reason) }
            }
            if stop {
                report.segments.append(segment)
                report.stoppedEarly = true
                return report
            }
            if !isLast {
                if checkIndexes && segmentCut == nil {
                    segment.index = checkIndex(directory: directory, segment: segment, frames: bytes, frameBytesMax: frameBytesMax,
                                               expectedPreviousCRC: expectedPreviousCRC, lastCRC: lastCRC ?? 0,
                                               exists: indexBases.contains(base), report: &report)
                }
            } else if indexBases.contains(base) {
                report.strayIndexes.append(SegmentFileName.index(base))
                report.findings.append(.init(kind: .note, file: SegmentFileName.index(base), position: nil,
                                             reason: "index file of the active segment (left by an interrupted roll); deleted at the next open for writing"))
            }
            report.segments.append(segment)
            previous = (Offset(segment.nextOffset), segmentCut == nil ? lastCRC : nil)
            previousSegmentCut = segmentCut != nil
        }
        return report
    }

    /// Checks a sealed segment's index file against the segment's frames (SPEC.md §4).
    private static func checkIndex(
        directory: String, segment: InspectedSegment, frames bytes: [UInt8], frameBytesMax: Int,
        expectedPreviousCRC: UInt32?, lastCRC: UInt32, exists: Bool, report: inout InspectionReport
    ) -> String {
        let name = SegmentFileName.index(Offset(segment.baseOffset))
        guard exists else {
            report.findings.append(.init(kind: .note, file: name, position: nil,
                                         reason: "sealed segment \(segment.name) has no index file; rebuilt at the next open or by `index --rebuild`"))
            return "missing"
        }
        let indexBytes: [UInt8]
        do { indexBytes = try InspectionFiles.readWhole(directory + "/" + name) } catch {
            report.findings.append(.init(kind: .index, file: name, position: nil, reason: error.description))
            return "damaged"
        }
        let starts: [Int: UInt64] = bytes.withUnsafeBytes { buffer in
            let scan = SegmentScan.scan(buffer, expectedOffset: Offset(segment.baseOffset), expectedPreviousCRC: expectedPreviousCRC, frameBytesMax: frameBytesMax)
            return Dictionary(scan.frames.map { ($0.position, $0.header.baseOffset.rawValue) }, uniquingKeysWith: { a, _ in a })
        }
        if let (position, reason) = indexProblem(indexBytes, segment: segment, frameStarts: starts, lastCRC: lastCRC) {
            report.findings.append(.init(kind: .index, file: name, position: position, reason: reason + "; run `iris-log index DIR --rebuild`"))
            return "damaged"
        }
        return "ok"
    }

    /// The first problem of an index file, with its byte position; nil when it matches the segment.
    static func indexProblem(_ bytes: [UInt8], segment: InspectedSegment, frameStarts: [Int: UInt64], lastCRC: UInt32) -> (Int, String)? {
        let footerSize = IndexFile.footerSize
        guard bytes.count >= footerSize, (bytes.count - footerSize) % 8 == 0 else {
            return (0, "index file size \(bytes.count) is not 8 * entries + \(footerSize)")
        }
        let footer = bytes.count - footerSize
        return bytes.withUnsafeBytes { buffer -> (Int, String)? in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<footer + 44]))
            if ByteCoding.loadUInt32(buffer, at: footer) != IndexFile.magic { return (footer, "bad index magic") }
            if ByteCoding.loadUInt32(buffer, at: footer + 44) != crc {
                return (footer + 44, "index CRC mismatch: stored 0x\(String(ByteCoding.loadUInt32(buffer, at: footer + 44), radix: 16)), computed 0x\(String(crc, radix: 16))")
            }
            if ByteCoding.loadUInt32(buffer, at: footer + 40) != 1 { return (footer + 40, "unknown index version") }
            if Int(ByteCoding.loadUInt32(buffer, at: footer + 4)) != footer / 8 { return (footer + 4, "entry count differs from the file size") }
            let nextOffset = ByteCoding.loadUInt64(buffer, at: footer + 8)
            if nextOffset != segment.nextOffset { return (footer + 8, "index says the segment ends before offset \(nextOffset), its frames end before \(segment.nextOffset)") }
            let dataEnd = ByteCoding.loadUInt64(buffer, at: footer + 16)
            if dataEnd != UInt64(segment.dataBytes) { return (footer + 16, "index says data ends at byte \(dataEnd), frames end at \(segment.dataBytes)") }
            if ByteCoding.loadUInt32(buffer, at: footer + 24) != lastCRC { return (footer + 24, "index last CRC differs from the last frame's CRC") }
            let maxTimestamp = Int64(bitPattern: ByteCoding.loadUInt64(buffer, at: footer + 32))
            if let expected = segment.maxTimestamp, maxTimestamp != expected { return (footer + 32, "index max timestamp \(maxTimestamp) differs from the frames' \(expected)") }
            var previous: (UInt32, UInt32)? = nil
            for entry in 0..<footer / 8 {
                let relative = ByteCoding.loadUInt32(buffer, at: entry * 8)
                let position = ByteCoding.loadUInt32(buffer, at: entry * 8 + 4)
                if let previous, !(previous.0 < relative && previous.1 < position) {
                    return (entry * 8, "index entry \(entry) does not increase")
                }
                previous = (relative, position)
                guard let frameOffset = frameStarts[Int(position)], frameOffset == segment.baseOffset &+ UInt64(relative) else {
                    return (entry * 8, "index entry \(entry) (offset \(segment.baseOffset &+ UInt64(relative)), byte \(position)) is not a frame start of the segment")
                }
            }
            return nil
        }
    }
}
