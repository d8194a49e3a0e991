/// What recovery does about the end of a segment's valid data; SPEC.md §6.2. The one rulebook:
/// `Log.open` and `iris-log verify` both decide through `decide(scan:bytes:...)`.
package enum TailDecision: Sendable, Equatable {
    /// The segment ends cleanly (zeroes or end of file after the last valid frame).
    case clean
    /// Bytes from `position` on are the remains of a write that was never synced: cut them.
    case tornTail(position: Int)
    /// A frame that must have been synced fails its checks, or durable data is missing:
    /// refuse to serve past `position`.
    case corruption(position: Int, reason: FrameDefect)

    /// The facts the decision rests on, each a yes or no, so the rulebook is a table
    /// (`decide(_:)`) that tests can walk through every combination of.
    package struct Facts: Sendable, Hashable, CaseIterable {
        /// The walk stopped at a defect (an invalid frame, or non-zero bytes after a zero length).
        package var defect: Bool
        /// The segment is the newest one, the only one that receives writes.
        package var isLastSegment: Bool
        /// The defect, or the clean end, lies before the position the checkpoint records as synced.
        package var beforeSynced: Bool
        /// The bytes at the defect look like an interrupted write of our own frame (`TornWrite`).
        package var tornWriteEvidence: Bool
        /// Some byte from `defect + unsyncedWindowBytes` to the end of the file is not zero.
        package var dataBeyondWindow: Bool

        package static let allCases: [Facts] = (0..<32).map { bits in
            Facts(defect: bits & 1 != 0, isLastSegment: bits & 2 != 0, beforeSynced: bits & 4 != 0,
                  tornWriteEvidence: bits & 8 != 0, dataBeyondWindow: bits & 16 != 0)
        }
    }

    /// The verdict of the rulebook, before positions and reasons are attached.
    package enum Verdict: Sendable, Equatable {
        case clean, tornTail, corruption
    }

    /// The rulebook (SPEC.md §6.2). A defect is a torn tail only when every row holds:
    /// it is in the last segment, at or after the synced position, it carries evidence of a
    /// torn write of our own frame, and nothing but zeroes lies past the unsynced window.
    /// A clean end before the synced position means durable data is missing: corruption.
    package static func decide(_ facts: Facts) -> Verdict {
        guard facts.defect else { return facts.beforeSynced ? .corruption : .clean }
        guard facts.isLastSegment else { return .corruption }
        guard !facts.beforeSynced else { return .corruption }
        guard facts.tornWriteEvidence else { return .corruption }
        guard !facts.dataBeyondWindow else { return .corruption }
        return .tornTail
    }

    /// Decides from a scan of a segment. `bytes` must hold the whole file whenever the scan
    /// found a defect (the rules look at everything after it). `syncedPosition` is what the
    /// checkpoint says of this segment (`Checkpoint.syncedPosition(inSegment:)`): `Int.max`
    /// for a segment wholly older than the checkpoint's, 0 for one it does not cover.
    package static func decide(
        scan: SegmentScan, bytes: UnsafeRawBufferPointer, isLastSegment: Bool,
        syncedPosition: Int, unsyncedWindowBytes: Int
    ) -> TailDecision {
        guard let (position, reason) = scan.defect else {
            let missing = syncedPosition != Int.max && scan.validEnd < syncedPosition
            guard missing else { return .clean }
            return .corruption(position: scan.validEnd, reason: .truncated(needed: syncedPosition, available: scan.validEnd))
        }
        let windowEnd = min(bytes.count, position + unsyncedWindowBytes)
        let facts = Facts(
            defect: true, isLastSegment: isLastSegment, beforeSynced: position < syncedPosition,
            tornWriteEvidence: TornWrite.hasEvidence(bytes, at: position, unsyncedWindowBytes: unsyncedWindowBytes),
            dataBeyondWindow: !SegmentScan.allZero(UnsafeRawBufferPointer(rebasing: bytes[windowEnd...])))
        switch decide(facts) {
        case .clean: preconditionFailure("a defect is never clean")
        case .tornTail: return .tornTail(position: position)
        case .corruption: return .corruption(position: position, reason: reason)
        }
    }
}

/// Evidence that a defect is the remains of an interrupted write of our own frame, as etcd's
/// WAL asks for (`isTornEntry`): the writer only ever writes over zeroes (preallocated or
/// trimmed space), and a disk persists a write sector by sector, so a frame whose write was
/// cut short has a 512-byte sector (or the part of one it covers) that still reads all zero,
/// or (its file's growth lost too) runs past the end of the file. A damaged frame of synced
/// data has neither, unless its own content holds a zero sector (a known limit, SPEC.md §6.2).
package enum TornWrite {
    package static let sectorBytes = 512

    /// Whether the frame at `position` (its claimed length when plausible, else its header)
    /// has an all-zero piece between sector boundaries, or reaches past the end of `bytes`
    /// while no longer than a writer's frames can be (half the unsynced window).
    package static func hasEvidence(_ bytes: UnsafeRawBufferPointer, at position: Int, unsyncedWindowBytes: Int) -> Bool {
        precondition(position >= 0 && position <= bytes.count)
        let available = bytes.count - position
        let length = available >= 4 ? Int(ByteCoding.loadUInt32(UnsafeRawBufferPointer(rebasing: bytes[position...]), at: 0)) : 0
        let claimed = length >= FrameHeader.size && length <= FrameHeader.lengthMax ? length : FrameHeader.size
        guard claimed <= available else { return claimed <= unsyncedWindowBytes / 2 }
        var start = position
        let end = position + claimed
        while start < end {
            let sectorEnd = min(end, (start / sectorBytes + 1) * sectorBytes)
            if SegmentScan.allZero(UnsafeRawBufferPointer(rebasing: bytes[start..<sectorEnd])) { return true }
            start = sectorEnd
        }
        return false
    }
}

extension Checkpoint {
    /// How far the checkpoint says segment `base` is synced: its recorded position for the
    /// segment it names, everything (`Int.max`) for older segments, nothing (0) for newer ones.
    package func syncedPosition(inSegment base: Offset) -> Int {
        if segmentBase == base { return syncedPosition }
        return segmentBase > base ? Int.max : 0
    }
}
