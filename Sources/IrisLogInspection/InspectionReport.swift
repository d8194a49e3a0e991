import IrisLog

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
