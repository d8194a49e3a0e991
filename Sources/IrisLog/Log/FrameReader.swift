/// Reads and checks frames from a segment file for readers. Every frame's CRC is checked
/// before any of its records is returned: a damaged frame is an error, never data. The head
/// of a frame is read first, for its length; the whole frame is then checked by
/// `FrameChain.check`, the one per-frame check of every walker.
package enum FrameReader {
    /// The lengths a frame head may claim: a header at least, at most the largest frame.
    package static let plausibleLengths = FrameHeader.size...FrameHeader.lengthMax

    /// The length field of a frame head, 0 when `head` is too short to hold one.
    package static func claimedLength(ofHead head: [UInt8]) -> Int {
        head.count >= 4 ? head.withUnsafeBytes { Int(ByteCoding.loadUInt32($0, at: 0)) } : 0
    }

    /// The validated header of the frame at `position` (reads and checks the whole frame).
    static func header(in entry: SegmentEntry, at position: Int) throws(LogError) -> FrameHeader {
        let (header, _) = try frame(in: entry, at: position, limit: entry.summary.dataEnd)
        return header
    }

    /// Reads the frame at `position`, which must end at or before `limit`, and checks it.
    static func frame(in entry: SegmentEntry, at position: Int, limit: Int) throws(LogError) -> (FrameHeader, [UInt8]) {
        let file = entry.handle.file
        let head = try read(file, count: min(FrameHeader.size, limit - position), at: position)
        guard head.count == FrameHeader.size else {
            throw corrupt(entry, position, .truncated(needed: FrameHeader.size, available: head.count))
        }
        let length = claimedLength(ofHead: head)
        guard plausibleLengths.contains(length), position + length <= limit else {
            throw corrupt(entry, position, .badLength(UInt32(truncatingIfNeeded: length)))
        }
        let bytes = try read(file, count: length, at: position)
        do {
            let header = try bytes.withBytes { (buffer) throws(FrameDefect) in
                // Random access from an index entry: no chain to continue, each frame checked on its own.
                try FrameChain.check(buffer, continuing: nil, frameBytesMax: FrameHeader.lengthMax)
            }
            return (header, bytes)
        } catch {
            throw corrupt(entry, position, error)
        }
    }

    private static func read(_ file: any StorageFile, count: Int, at position: Int) throws(LogError) -> [UInt8] {
        do {
            return try file.read(count: count, at: position)
        } catch {
            throw LogError(error)
        }
    }

    static func corrupt(_ entry: SegmentEntry, _ position: Int, _ defect: FrameDefect) -> LogError {
        .corruptFrame(segment: entry.handle.name, position: position, reason: defect.description)
    }
}
