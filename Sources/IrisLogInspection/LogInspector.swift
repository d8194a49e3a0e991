#if canImport(Glibc)
import Glibc
#endif
import IrisLog

/// Read-only, frame-by-frame inspection of a log directory for `iris-log` (info, verify,
/// dump, repair, index). It reads the files directly (O_RDONLY, no lock) and applies the
/// same rules as recovery (SPEC.md §3.2, §4, §5, §6), but reports every problem it finds
/// with file and byte position instead of stopping at the first one.
package enum LogInspector {
    static func segmentBases(_ names: [String]) -> [Offset] {
        names.compactMap { SegmentFileName.baseOffset(of: $0, extension: SegmentFileName.segmentExtension) }.sorted()
    }

    /// The size of the newest segment file when it is a valid segment size (a log's active
    /// segment is preallocated to its configured size), for tools that open a log to write.
    package static func inferredSegmentSize(directory: String) -> Int? {
        guard let names = try? InspectionFiles.list(directory), let last = segmentBases(names).last,
              let size = segmentFileBytes(directory: directory, bases: [last])[last],
              size >= 64 << 10, size <= 1 << 30 else { return nil }
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
        let listing = try Listing(directory: directory)
        var report = InspectionReport(directory: directory)
        let fileBytes = segmentFileBytes(directory: directory, bases: listing.segmentBases)
        // Segment files are at most their configured size, so the largest bounds the window.
        let windowBytesMax = Checkpoint.windowBytesMax(
            segmentBytes: fileBytes.values.max() ?? 0, configuredWindowBytes: LogConfiguration().unsyncedWindowBytes)
        let checkpoint = try inspectCheckpoint(listing, windowBytesMax: windowBytesMax, into: &report)
        noteStrayIndexes(listing, into: &report)
        let bases = try basesToRead(listing.segmentBases, from: startOffset)
        // A checkpoint whose window no writer uses is reported above and its window ignored.
        let window = checkpoint.flatMap { $0.implausibility(windowBytesMax: windowBytesMax) == nil ? $0.unsyncedWindowBytes : nil }
            ?? LogConfiguration().unsyncedWindowBytes
        var walk = SegmentWalk(
            directory: directory, decodeRecords: decodeRecords, checkIndexes: checkIndexes, progress: progress,
            onRecords: onRecords, checkpoint: checkpoint, unsyncedWindowBytes: window, listing: listing,
            totalBytes: bases.reduce(0) { $0 + (fileBytes[$1] ?? 0) }, report: report)
        try walk.run(bases)
        return walk.report
    }

    /// The names in a log directory that matter to inspection.
    struct Listing {
        var names: [String]
        /// Base offsets of the segment files, in order.
        var segmentBases: [Offset]
        var indexBases: Set<Offset>

        /// Lists `directory`; throws when it is not a directory or holds no log.
        init(directory: String) throws(InspectionError) {
            guard InspectionFiles.isDirectory(directory) else { throw .notADirectory(directory) }
            names = try InspectionFiles.list(directory)
            segmentBases = LogInspector.segmentBases(names)
            indexBases = Set(names.compactMap { SegmentFileName.baseOffset(of: $0, extension: SegmentFileName.indexExtension) })
            guard !segmentBases.isEmpty || names.contains(SegmentFileName.checkpoint) else { throw .notALog(directory) }
        }
    }

    /// The size of each segment file that can be opened, by base offset.
    static func segmentFileBytes(directory: String, bases: [Offset]) -> [Offset: Int] {
        var sizes: [Offset: Int] = [:]
        for base in bases {
            let path = directory + "/" + SegmentFileName.segment(base)
            guard let fd = try? InspectionFiles.openReadOnly(path) else { continue }
            sizes[base] = try? InspectionFiles.size(fd, path: path)
            _ = close(fd)
        }
        return sizes
    }

    /// The segments a walk from `startOffset` reads: from the one holding it on.
    private static func basesToRead(_ bases: [Offset], from startOffset: UInt64?) throws(InspectionError) -> [Offset] {
        guard let startOffset else { return bases }
        if let first = bases.first, startOffset < first.rawValue {
            throw .offsetBeforeStart(requested: startOffset, first: first.rawValue)
        }
        guard let start = bases.lastIndex(where: { $0.rawValue <= startOffset }) else { return bases }
        return Array(bases[start...])
    }

    /// Index files without a segment: the next open for writing deletes them.
    private static func noteStrayIndexes(_ listing: Listing, into report: inout InspectionReport) {
        for base in listing.indexBases.sorted() where !listing.segmentBases.contains(base) {
            report.strayIndexes.append(SegmentFileName.index(base))
            report.findings.append(.init(kind: .note, file: SegmentFileName.index(base), position: nil,
                                         reason: "index file without a segment; deleted at the next open for writing"))
        }
    }
}
