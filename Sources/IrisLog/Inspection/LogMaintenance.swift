#if canImport(Glibc)
import Glibc
#endif
import Logging

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
            let bytes: [UInt8]
            do { bytes = try InspectionFiles.readWhole(directory + "/" + segment.name) } catch { throw .io(error) }
            let base = Offset(segment.baseOffset)
            var index = OffsetIndex(baseOffset: base, intervalBytes: intervalBytes)
            var lastCRC: UInt32 = 0
            bytes.withUnsafeBytes { buffer in
                // The segment already scanned cleanly; any limit at least its frames' size will do.
                let scan = SegmentScan.scan(buffer, expectedOffset: base, expectedPreviousCRC: nil,
                                            frameBytesMax: FrameHeader.lengthMax)
                for frame in scan.frames {
                    index.frameWritten(baseOffset: frame.header.baseOffset, position: frame.position)
                    lastCRC = frame.header.crc
                }
            }
            let summary = SegmentSummary(baseOffset: base, nextOffset: Offset(segment.nextOffset), dataEnd: segment.dataBytes,
                                         lastCRC: lastCRC, maxTimestamp: segment.maxTimestamp ?? .min)
            let name = SegmentFileName.index(base)
            let temporary = directory + "/" + name + ".tmp-\(getpid())"
            let final = directory + "/" + name
            _ = unlink(temporary)
            do {
                try InspectionFiles.createFile(temporary, bytes: IndexFile.encode(index, summary: summary))
                try InspectionFiles.rename(from: temporary, to: final)
            } catch {
                throw .io(error)
            }
            written.append(name)
        }
        do { try InspectionFiles.syncDirectory(directory) } catch { throw .io(error) }
        return (written, problems)
    }

    /// What `repair` did.
    package struct RepairResult: Sendable {
        package var actions: [String] = []
        /// The log still does not open for writing (the error), after the repair.
        package var remainingError: String?
    }

    /// Makes a damaged log openable with its valid prefix, never deleting data: the damaged
    /// segment (and every later one, which no longer joins) is renamed `<name>.corrupt-<unix
    /// time>` with its index, a report file describing the damage is written next to it, the
    /// valid frames before the damage are copied into a new segment file of the same name,
    /// and a checkpoint that no longer matches is renamed aside the same way. Then the log
    /// is opened for writing, which cuts a torn tail and rebuilds missing or damaged indexes.
    package static func repair(directory: String, progress: ((Int, Int) -> Void)? = nil) async throws(InspectionError) -> RepairResult {
        var result = RepairResult()
        guard InspectionFiles.isDirectory(directory) else { throw .notADirectory(directory) }
        let lock = try InspectionLock(directory: directory)
        // Before any change: the active segment's preallocated size is the log's segment size.
        let segmentSize = LogInspector.inferredSegmentSize(directory: directory)
        var hasSegments = false
        do throws(InspectionError) {
            let report = try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: true, progress: progress)
            hasSegments = !report.segments.isEmpty
            let stamp = InspectionFiles.unixTime()
            func path(_ name: String) -> String { directory + "/" + name }
            func aside(_ name: String) throws(InspectionError) -> String {
                var target = "\(name).corrupt-\(stamp)"
                var attempt = 1
                while InspectionFiles.exists(path(target)) { attempt += 1; target = "\(name).corrupt-\(stamp)-\(attempt)" }
                do { try InspectionFiles.rename(from: path(name), to: path(target)) } catch { throw .io(error) }
                return target
            }
            var moved: [String] = []
            if let cut = report.cut {
                let damaged = report.segments[cut.segmentIndex]
                var lines = [
                    "iris-log repair report",
                    "directory: \(directory)",
                    "time: \(stamp) (unix)",
                    "damaged segment: \(damaged.name)",
                    "position: byte \(cut.position)",
                    "reason: \(cut.reason)",
                ]
                var keptFrom: String? = nil
                for segment in report.segments[cut.segmentIndex...] {
                    let target = try aside(segment.name)
                    moved.append("\(segment.name) -> \(target)")
                    let index = SegmentFileName.index(Offset(segment.baseOffset))
                    if InspectionFiles.exists(path(index)) { moved.append("\(index) -> \(try aside(index))") }
                    if keptFrom == nil { keptFrom = target }
                }
                if !cut.isGap, let keptFrom {
                    // Keep the valid frames before the damage under the segment's own name.
                    let bytes: [UInt8]
                    do {
                        bytes = try InspectionFiles.readWhole(path(keptFrom))
                        try InspectionFiles.createFile(path(damaged.name), bytes: Array(bytes[..<min(cut.position, bytes.count)]))
                    } catch { throw .io(error) }
                    lines.append("kept: bytes [0, \(cut.position)) of \(damaged.name) (records \(damaged.baseOffset)..<\(damaged.nextOffset)) copied to a new \(damaged.name)")
                }
                if let last = report.segments.last, last.nextOffset > report.nextOffset {
                    lines.append("records no longer in the log: from offset \(report.nextOffset) (up to at least \(last.nextOffset - 1)); they remain in the moved files")
                } else {
                    lines.append("records no longer in the log: from offset \(report.nextOffset) on, if any were in the damaged part")
                }
                if InspectionFiles.exists(path(SegmentFileName.checkpoint)) {
                    moved.append("\(SegmentFileName.checkpoint) -> \(try aside(SegmentFileName.checkpoint))")
                }
                lines.append(contentsOf: moved.map { "moved: \($0)" })
                let reportName = (keptFrom ?? damaged.name) + ".report"
                do { try InspectionFiles.createFile(path(reportName), bytes: Array((lines.joined(separator: "\n") + "\n").utf8)) } catch { throw .io(error) }
                result.actions.append("corruption in \(damaged.name) at byte \(cut.position): \(cut.reason)")
                result.actions.append(contentsOf: moved.map { "moved aside \($0)" })
                if !cut.isGap { result.actions.append("kept the \(damaged.nextOffset - damaged.baseOffset) valid records before byte \(cut.position) in a new \(damaged.name)") }
                result.actions.append("wrote report \(reportName)")
                result.actions.append("the log now ends before offset \(report.nextOffset)")
            } else if report.checkpointDamaged, InspectionFiles.exists(path(SegmentFileName.checkpoint)) {
                let target = try aside(SegmentFileName.checkpoint)
                result.actions.append("moved aside the damaged checkpoint: \(SegmentFileName.checkpoint) -> \(target)")
            }
            for name in report.strayIndexes where InspectionFiles.exists(path(name)) {
                result.actions.append("the open removes \(name): an index file (derived data) with no segment of its own, or of the active segment")
            }
            // Damaged index files are derived data: move them aside; the open rebuilds them.
            for finding in report.findings where finding.kind == .index && InspectionFiles.exists(path(finding.file)) {
                let target = try aside(finding.file)
                result.actions.append("moved aside the damaged index \(finding.file) -> \(target) (\(finding.reason))")
            }
            do { try InspectionFiles.syncDirectory(directory) } catch { throw .io(error) }
        } catch {
            lock.release()
            throw error
        }
        lock.release()
        if !hasSegments {
            result.actions.append("no segment file in \(directory): nothing to open")
            return result
        }

        var configuration = LogConfiguration()
        configuration.ioBackend = .posix
        if let size = segmentSize ?? LogInspector.inferredSegmentSize(directory: directory) {
            configuration.segmentSizeBytes = size
            configuration.batchBytesMax = min(configuration.batchBytesMax, size - 128)
            configuration.recordBytesMax = min(configuration.recordBytesMax, configuration.batchBytesMax - 64)
        }
        do {
            var logger = Logger(label: "iris-log.repair")
            logger.logLevel = .error
            let log = try Log.open(directory: directory, configuration: configuration, logger: logger)
            let recovery = log.recoveryReport
            if let torn = recovery.tornTail {
                result.actions.append("cut a torn tail of \(torn.segment) at byte \(torn.position) (\(torn.discardedBytes) unsynced non-zero bytes)")
            }
            for index in recovery.rebuiltIndexes { result.actions.append("rebuilt index \(index)") }
            result.actions.append("the log opens: offsets \(log.firstOffset)..<\(log.nextOffset), \(log.segmentCount) segment(s)")
            await log.close()
        } catch {
            result.remainingError = error.description
        }
        return result
    }
}
