#if canImport(Glibc)
import Glibc
#endif
import IrisLog

/// File-changing tools: index rebuild and repair. Both take the writer lock first.
package enum LogMaintenance {
    /// Rewrites the index file of every sealed segment that scans cleanly, from its frames.
    /// Returns one line per index written or skipped.
    package static func rebuildIndexes(
        directory: String, intervalBytes: Int = LogConfiguration().indexIntervalBytes, progress: ((Int, Int) -> Void)? = nil
    ) throws(InspectionError) -> (written: [String], problems: [InspectionFinding]) {
        guard InspectionFiles.isDirectory(directory) else { throw .notADirectory(directory) }
        let lock = try InspectionLock(directory: directory)
        defer { lock.release() }
        let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: false, progress: progress)
        var written: [String] = []
        var problems: [InspectionFinding] = []
        for (number, segment) in report.segments.enumerated() {
            guard segment.sealed else { break }
            if let cut = report.cut, number >= cut.segmentIndex {
                problems.append(.init(kind: .corruption, file: segment.name, position: number == cut.segmentIndex ? cut.position : nil,
                                      reason: "cannot rebuild the index of a damaged segment (\(cut.reason)); run `iris-log repair DIR`"))
                continue
            }
            let bytes = try InspectionFiles.readWhole(directory + "/" + segment.name)
            let base = Offset(segment.baseOffset)
            let (index, summary) = bytes.withUnsafeBytes { buffer in
                // The segment already scanned cleanly; any limit at least its frames' size will do.
                SegmentScan.scan(buffer, expectedOffset: base, expectedPreviousCRC: nil, frameBytesMax: FrameHeader.lengthMax)
                    .indexed(baseOffset: base, intervalBytes: intervalBytes)
            }
            let name = SegmentFileName.index(base)
            let temporary = directory + "/" + name + ".tmp-\(getpid())"
            let final = directory + "/" + name
            _ = unlink(temporary)
            try InspectionFiles.createFile(temporary, bytes: IndexFile.encode(index, summary: summary))
            try InspectionFiles.rename(from: temporary, to: final)
            written.append(name)
        }
        try InspectionFiles.syncDirectory(directory)
        return (written, problems)
    }
}
