/// One valid frame found by a scan.
package struct ScannedFrame: Sendable, Equatable {
    package var position: Int
    package var header: FrameHeader
}

/// The result of walking a segment's bytes frame by frame: the valid prefix, and what stopped
/// the walk. Pure: bytes in, value out; SPEC.md §6.
package struct SegmentScan: Sendable, Equatable {
    package var frames: [ScannedFrame] = []
    /// Position after the last valid frame (and its padding).
    package var validEnd: Int
    package var nextOffset: Offset
    package var lastCRC: UInt32?
    package var maxTimestamp: Int64 = .min
    /// Where and why the walk stopped early; nil when it reached zeroes or the end of the bytes.
    package var defect: (position: Int, reason: FrameDefect)?

    package static func == (lhs: SegmentScan, rhs: SegmentScan) -> Bool {
        lhs.frames == rhs.frames && lhs.validEnd == rhs.validEnd && lhs.nextOffset == rhs.nextOffset
            && lhs.lastCRC == rhs.lastCRC && lhs.defect?.position == rhs.defect?.position && lhs.defect?.reason == rhs.defect?.reason
    }

    /// Walks `bytes` (a whole segment file) from `startPosition`, expecting the frame there to
    /// start at `expectedOffset` and to chain to `expectedPreviousCRC` (nil: accept any, for
    /// the oldest segment left after retention).
    package static func scan(
        _ bytes: UnsafeRawBufferPointer, startPosition: Int = 0, expectedOffset: Offset,
        expectedPreviousCRC: UInt32?, frameBytesMax: Int
    ) -> SegmentScan {
        precondition(startPosition % FrameHeader.alignment == 0 && startPosition <= bytes.count)
        var scan = SegmentScan(validEnd: startPosition, nextOffset: expectedOffset, lastCRC: expectedPreviousCRC)
        var chain = FrameChain(nextOffset: expectedOffset, lastCRC: expectedPreviousCRC)
        var position = startPosition
        while position < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
            if rest.count < 8 || ByteCoding.loadUInt32(rest, at: 0) == 0 {
                if !allZero(rest) { scan.defect = (position, rest.count < 8 ? .truncated(needed: 8, available: rest.count) : .zeroLengthBeforeData) }
                return scan
            }
            let header: FrameHeader
            do {
                header = try chain.accept(rest, frameBytesMax: frameBytesMax)
            } catch {
                scan.defect = (position, error)
                return scan
            }
            scan.frames.append(ScannedFrame(position: position, header: header))
            scan.nextOffset = chain.nextOffset
            scan.lastCRC = chain.lastCRC
            scan.maxTimestamp = max(scan.maxTimestamp, header.baseTimestamp)
            position = min(position + header.paddedLength, bytes.count)
            scan.validEnd = position
        }
        return scan
    }

    /// The sparse index and the summary of the scanned frames, as recovery and
    /// `iris-log index --rebuild` write them for a sealed segment.
    package func indexed(baseOffset: Offset, intervalBytes: Int) -> (OffsetIndex, SegmentSummary) {
        var index = OffsetIndex(baseOffset: baseOffset, intervalBytes: intervalBytes)
        for frame in frames { index.frameWritten(baseOffset: frame.header.baseOffset, position: frame.position) }
        let summary = SegmentSummary(
            baseOffset: baseOffset, nextOffset: nextOffset, dataEnd: validEnd, lastCRC: lastCRC ?? 0, maxTimestamp: maxTimestamp)
        return (index, summary)
    }

    package static func allZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Word-at-a-time: a 64 MiB preallocated tail is checked on every open.
        var position = 0
        while position + 8 <= bytes.count {
            if bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self) != 0 { return false }
            position += 8
        }
        while position < bytes.count {
            if bytes[position] != 0 { return false }
            position += 1
        }
        return true
    }
}
