import IrisLog

extension LogInspector {
    /// Reads and checks the checkpoint file (SPEC.md §5), if any: a file that decodes in
    /// neither slot, or a checkpoint that no writer could have written or that contradicts
    /// the segment files, is reported. Returns the checkpoint when one decodes.
    static func inspectCheckpoint(
        _ listing: Listing, windowBytesMax: Int, into report: inout InspectionReport
    ) throws(InspectionError) -> Checkpoint? {
        guard listing.names.contains(SegmentFileName.checkpoint) else { return nil }
        let name = SegmentFileName.checkpoint
        let bytes = try InspectionFiles.readWhole(report.directory + "/" + name)
        guard let checkpoint = Checkpoint.decode(file: bytes) else {
            if bytes.allSatisfy({ $0 == 0 }) {
                report.findings.append(.init(kind: .note, file: name, position: 0,
                                             reason: "the checkpoint was created but never written (all zero); the next open writes it"))
            } else {
                report.checkpointDamaged = true
                report.findings.append(.init(kind: .corruption, file: name, position: 0,
                                             reason: "neither checkpoint slot (bytes 0 and 4096) has a valid magic, version and CRC"))
            }
            return nil
        }
        report.checkpoint = CheckpointSummary(
            sequence: checkpoint.sequence, segmentBase: checkpoint.segmentBase.rawValue,
            syncedPosition: checkpoint.syncedPosition, nextOffset: checkpoint.nextOffset.rawValue,
            unsyncedWindowBytes: checkpoint.unsyncedWindowBytes)
        if let problem = checkpointProblem(checkpoint, segmentBases: listing.segmentBases, windowBytesMax: windowBytesMax) {
            report.checkpointDamaged = true
            report.findings.append(.init(kind: .corruption, file: name, position: checkpoint.slotPosition, reason: problem))
        }
        return checkpoint
    }

    /// Why a checkpoint that decodes cannot be trusted, as recovery judges it (SPEC.md §5).
    private static func checkpointProblem(_ checkpoint: Checkpoint, segmentBases: [Offset], windowBytesMax: Int) -> String? {
        if let problem = checkpoint.implausibility(windowBytesMax: windowBytesMax) { return problem }
        if segmentBases.isEmpty, checkpoint.nextOffset > Offset(0) {
            return "the checkpoint records \(checkpoint.nextOffset) records but no segment file exists"
        }
        if let last = segmentBases.last, checkpoint.segmentBase > last {
            return "the checkpoint names segment \(SegmentFileName.segment(checkpoint.segmentBase)), which is missing"
        }
        return nil
    }
}
