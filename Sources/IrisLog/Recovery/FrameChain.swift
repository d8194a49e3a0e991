/// Where a walk over a segment's frames stands: the offset the next frame must start at and
/// the CRC it must chain to. `accept` is the one per-frame check of every walker: recovery's
/// `SegmentScan` over bytes in memory, `FrameReader` over a segment file for `Log.read`, and
/// the inspection tools' follower over a file another process is appending to; SPEC.md §3.2.
package struct FrameChain: Sendable, Equatable {
    /// The offset the next frame must start at.
    package var nextOffset: Offset
    /// The CRC the next frame must name as its previous one; nil: any (the oldest segment left
    /// after retention, or a reader that joins the log at a frame it did not see the chain of).
    package var lastCRC: UInt32?

    /// A chain whose next frame starts at `nextOffset` and names `lastCRC` as its previous.
    package init(nextOffset: Offset, lastCRC: UInt32?) {
        self.nextOffset = nextOffset
        self.lastCRC = lastCRC
    }

    /// Checks the frame at the start of `bytes` (which may hold more after it): valid on its
    /// own (`FrameDecoder.validate`: length, CRC, header) and, given `chain`, at its next
    /// offset and chained to its last CRC. Returns the frame's header.
    package static func check(
        _ bytes: UnsafeRawBufferPointer, continuing chain: FrameChain?, frameBytesMax: Int
    ) throws(FrameDefect) -> FrameHeader {
        let header = try FrameDecoder.validate(bytes, frameBytesMax: frameBytesMax)
        guard let chain else { return header }
        guard header.baseOffset == chain.nextOffset else {
            throw .outOfSequence("base offset \(header.baseOffset), expected \(chain.nextOffset)")
        }
        if let previous = chain.lastCRC, header.previousCRC != previous {
            throw .outOfSequence("previous CRC 0x\(String(header.previousCRC, radix: 16)), expected 0x\(String(previous, radix: 16))")
        }
        return header
    }

    /// Checks the frame at the start of `bytes` as `check(_:continuing:frameBytesMax:)` does
    /// with this chain, and on success moves the chain past it.
    package mutating func accept(_ bytes: UnsafeRawBufferPointer, frameBytesMax: Int) throws(FrameDefect) -> FrameHeader {
        let header = try FrameChain.check(bytes, continuing: self, frameBytesMax: frameBytesMax)
        nextOffset = header.nextOffset
        lastCRC = header.crc
        return header
    }
}
