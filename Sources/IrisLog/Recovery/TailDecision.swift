/// What recovery does about the end of a segment's valid data; SPEC.md §6.2.
package enum TailDecision: Sendable, Equatable {
    /// The segment ends cleanly (zeroes or end of file after the last valid frame).
    case clean
    /// Bytes from `position` on are the remains of a write that was never synced: cut them.
    case tornTail(position: Int)
    /// A frame that must have been synced fails its checks: refuse to serve past `position`.
    case corruption(position: Int, reason: FrameDefect)

    /// Decides from a scan of a whole segment.
    ///
    /// A defect is a torn tail only when all of these hold: the segment is the last one (only
    /// it receives writes); the defect lies at or after the checkpoint's synced position; and
    /// every byte from `defect + unsyncedWindowBytes` to the end of the file is zero, since a
    /// crash can damage only the unsynced window that ends the written data. Anything else is
    /// corruption.
    package static func decide(
        scan: SegmentScan, bytes: UnsafeRawBufferPointer, isLastSegment: Bool,
        syncedPosition: Int, unsyncedWindowBytes: Int
    ) -> TailDecision {
        guard let (position, reason) = scan.defect else { return .clean }
        guard isLastSegment, position >= syncedPosition else { return .corruption(position: position, reason: reason) }
        let windowEnd = min(bytes.count, position + unsyncedWindowBytes)
        guard SegmentScan.allZero(UnsafeRawBufferPointer(rebasing: bytes[windowEnd...])) else {
            return .corruption(position: position, reason: reason)
        }
        return .tornTail(position: position)
    }
}
