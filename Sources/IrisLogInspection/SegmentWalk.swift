import IrisLog

/// `LogInspector.inspect`'s walk over the segment files, oldest first: for each, whether it
/// joins the previous one, its frames (`SegmentScan`), their records when asked, its end
/// (`TailDecision`, the rulebook recovery uses) and its index file. Findings go into `report`.
struct SegmentWalk {
    let directory: String
    let decodeRecords: Bool
    let checkIndexes: Bool
    let progress: ((Int, Int) -> Void)?
    let onRecords: (([LogRecord]) -> Bool)?
    let checkpoint: Checkpoint?
    let unsyncedWindowBytes: Int
    let listing: LogInspector.Listing
    let totalBytes: Int
    var report: InspectionReport
    private var doneBytes = 0
    /// Where the previous segment's valid frames end; nil before the first segment read.
    private var previous: FrameChain?
    /// After damage inside a segment its true end is unknown: the next one is not checked to join it.
    private var previousSegmentCut = false

    init(
        directory: String, decodeRecords: Bool, checkIndexes: Bool, progress: ((Int, Int) -> Void)?,
        onRecords: (([LogRecord]) -> Bool)?, checkpoint: Checkpoint?, unsyncedWindowBytes: Int,
        listing: LogInspector.Listing, totalBytes: Int, report: InspectionReport
    ) {
        self.directory = directory
        self.decodeRecords = decodeRecords
        self.checkIndexes = checkIndexes
        self.progress = progress
        self.onRecords = onRecords
        self.checkpoint = checkpoint
        self.unsyncedWindowBytes = unsyncedWindowBytes
        self.listing = listing
        self.totalBytes = totalBytes
        self.report = report
    }

    /// What walking one segment's frames found.
    private struct FrameWalk {
        /// The frames of the valid prefix (and, when stopped, up to the one the caller stopped at).
        var frames: ArraySlice<ScannedFrame>
        /// Where the segment's valid data ends and why, if before its end.
        var cut: (position: Int, reason: String)?
        /// The caller's `onRecords` asked to stop.
        var stopped = false
    }

    /// Walks the segments `bases` (a suffix of the directory's), in order.
    mutating func run(_ bases: [Offset]) throws(InspectionError) {
        progress?(0, totalBytes)
        for (number, base) in bases.enumerated() {
            guard try visit(base, number: number) else {
                report.stoppedEarly = true
                return
            }
        }
    }

    /// Walks one segment; false when the caller asked to stop.
    private mutating func visit(_ base: Offset, number: Int) throws(InspectionError) -> Bool {
        let name = SegmentFileName.segment(base)
        let isLast = base == listing.segmentBases.last
        let bytes = try InspectionFiles.readWhole(directory + "/" + name)
        let expectedPreviousCRC = checkJoin(base, name: name, number: number)
        var segment = InspectedSegment(
            name: name, baseOffset: base.rawValue, nextOffset: base.rawValue, fileBytes: bytes.count, dataBytes: 0,
            frames: 0, records: 0, compressedFrames: 0, compressedRecords: 0, storedPayloadBytes: 0, uncompressedPayloadBytes: 0,
            minTimestamp: nil, maxTimestamp: nil, sealed: !isLast, index: isLast ? "active" : "unchecked",
            beyondCorruption: report.cut != nil)
        let (scan, walk) = bytes.withUnsafeBytes { buffer in
            let scan = SegmentScan.scan(buffer, expectedOffset: base, expectedPreviousCRC: expectedPreviousCRC, frameBytesMax: FrameHeader.lengthMax)
            var walk = walkFrames(scan, buffer)
            if !walk.stopped && walk.cut == nil { walk.cut = checkEnd(scan, buffer, name: name, isLast: isLast, base: base) }
            return (scan, walk)
        }
        for frame in walk.frames { segment.add(frame) }
        let lastCRC = walk.frames.last?.header.crc ?? expectedPreviousCRC
        doneBytes += bytes.count
        progress?(doneBytes, totalBytes)
        if let (position, reason) = walk.cut {
            report.findings.append(.init(kind: .corruption, file: name, position: position, reason: reason))
            if report.cut == nil { report.cut = PrefixCut(segmentIndex: number, position: position, isGap: false, reason: reason) }
        }
        if walk.stopped {
            report.segments.append(segment)
            return false
        }
        if !isLast {
            if checkIndexes && walk.cut == nil {
                segment.index = LogInspector.checkIndex(
                    directory: directory, segment: segment, frames: scan.frames, lastCRC: lastCRC ?? 0,
                    exists: listing.indexBases.contains(base), report: &report)
            }
        } else if listing.indexBases.contains(base) {
            report.strayIndexes.append(SegmentFileName.index(base))
            report.findings.append(.init(kind: .note, file: SegmentFileName.index(base), position: nil,
                                         reason: "index file of the active segment (left by an interrupted roll); deleted at the next open for writing"))
        }
        report.segments.append(segment)
        previous = FrameChain(nextOffset: Offset(segment.nextOffset), lastCRC: walk.cut == nil ? lastCRC : nil)
        previousSegmentCut = walk.cut != nil
        return true
    }

    /// Reports a segment that does not start where the previous one ends (a gap or an
    /// overlap), which cuts the prefix; returns the CRC the segment's first frame must chain to.
    private mutating func checkJoin(_ base: Offset, name: String, number: Int) -> UInt32? {
        guard let previous, previous.nextOffset != base, !previousSegmentCut else { return previous?.lastCRC }
        let reason = previous.nextOffset < base
            ? "records \(previous.nextOffset) to \(base.rawValue - 1) are missing: the previous segment ends before offset \(previous.nextOffset) but this one starts at \(base)"
            : "the segment starts at offset \(base) but the previous segment holds records up to \(previous.nextOffset.rawValue - 1)"
        report.findings.append(.init(kind: .corruption, file: name, position: 0, reason: reason))
        if report.cut == nil { report.cut = PrefixCut(segmentIndex: number, position: 0, isGap: true, reason: reason) }
        return nil
    }

    /// Decodes the records of each scanned frame when asked, handing those of the valid prefix
    /// to `onRecords`; a frame whose records do not decode cuts the segment there.
    private func walkFrames(_ scan: SegmentScan, _ buffer: UnsafeRawBufferPointer) -> FrameWalk {
        guard decodeRecords else { return FrameWalk(frames: scan.frames[...]) }
        for (count, frame) in scan.frames.enumerated() {
            if count % 512 == 511 { progress?(doneBytes + frame.position, totalBytes) }
            let frameBytes = UnsafeRawBufferPointer(rebasing: buffer[frame.position...])
            do throws(FrameDefect) {
                let records = try FrameDecoder.records(frameBytes, header: frame.header)
                if report.cut == nil, let onRecords, !onRecords(records) {
                    return FrameWalk(frames: scan.frames[...count], stopped: true)
                }
            } catch {
                let reason = "frame at offset \(frame.header.baseOffset) does not decode: \(error.description)"
                return FrameWalk(frames: scan.frames[..<count], cut: (frame.position, reason))
            }
        }
        return FrameWalk(frames: scan.frames[...])
    }

    /// How the segment's valid frames end, by recovery's rulebook: a torn tail is reported
    /// here; corruption is returned as the segment's cut.
    private mutating func checkEnd(
        _ scan: SegmentScan, _ buffer: UnsafeRawBufferPointer, name: String, isLast: Bool, base: Offset
    ) -> (position: Int, reason: String)? {
        let synced = checkpoint?.syncedPosition(inSegment: base) ?? 0
        switch TailDecision.decide(scan: scan, bytes: buffer, isLastSegment: isLast, syncedPosition: synced, unsyncedWindowBytes: unsyncedWindowBytes) {
        case .clean:
            return nil
        case .tornTail(let position):
            let nonZero = buffer[position...].reduce(0) { $0 + ($1 == 0 ? 0 : 1) }
            report.findings.append(.init(
                kind: .tornTail, file: name, position: position,
                reason: "torn tail (recoverable): the last frame's write was cut short (\(scan.defect?.reason.description ?? "")) and \(nonZero) non-zero bytes follow within the unsynced window; the next open for writing cuts them"))
            return nil
        case .corruption(let position, let defect):
            let reason = scan.defect == nil
                ? "valid frames end at byte \(position) but the checkpoint records data synced up to byte \(synced)"
                : defect.description
            return (position, reason)
        }
    }
}

extension InspectedSegment {
    /// Counts a valid frame of this segment.
    mutating func add(_ frame: ScannedFrame) {
        let header = frame.header
        frames += 1
        records += Int(header.recordCount)
        nextOffset = header.nextOffset.rawValue
        dataBytes = frame.position + header.paddedLength
        storedPayloadBytes += Int(header.length) - FrameHeader.size
        uncompressedPayloadBytes += Int(header.uncompressedLength)
        if header.codec != .none {
            compressedFrames += 1
            compressedRecords += Int(header.recordCount)
        }
        minTimestamp = min(minTimestamp ?? .max, header.baseTimestamp)
        maxTimestamp = max(maxTimestamp ?? .min, header.baseTimestamp)
    }
}
