import IrisLog
import Logging

extension LogMaintenance {
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
        let hasSegments: Bool
        do throws(InspectionError) {
            hasSegments = try moveDamageAside(directory: directory, progress: progress, into: &result)
        } catch {
            lock.release()
            throw error
        }
        lock.release()
        guard hasSegments else {
            result.actions.append("no segment file in \(directory): nothing to open")
            return result
        }
        await open(directory, segmentSize: segmentSize ?? LogInspector.inferredSegmentSize(directory: directory), into: &result)
        return result
    }

    /// The file changes of a repair, made under the writer lock; returns whether the log has
    /// segment files.
    private static func moveDamageAside(
        directory: String, progress: ((Int, Int) -> Void)?, into result: inout RepairResult
    ) throws(InspectionError) -> Bool {
        let report = try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: true, progress: progress)
        let aside = SetAside(directory: directory, stamp: InspectionFiles.unixTime())
        if let cut = report.cut {
            try setAsideDamagedSegments(from: cut, of: report, aside: aside, into: &result)
        } else if report.checkpointDamaged, aside.exists(SegmentFileName.checkpoint) {
            let target = try aside.move(SegmentFileName.checkpoint)
            result.actions.append("moved aside the damaged checkpoint: \(SegmentFileName.checkpoint) -> \(target)")
        }
        for name in report.strayIndexes where aside.exists(name) {
            result.actions.append("the open removes \(name): an index file (derived data) with no segment of its own, or of the active segment")
        }
        // Damaged index files are derived data: move them aside; the open rebuilds them.
        for finding in report.findings where finding.kind == .index && aside.exists(finding.file) {
            let target = try aside.move(finding.file)
            result.actions.append("moved aside the damaged index \(finding.file) -> \(target) (\(finding.reason))")
        }
        try InspectionFiles.syncDirectory(directory)
        return !report.segments.isEmpty
    }

    /// Moves the damaged segment, every later one and the checkpoint aside, keeps the valid
    /// frames before the damage under the segment's own name, and writes the report file.
    private static func setAsideDamagedSegments(
        from cut: PrefixCut, of report: InspectionReport, aside: SetAside, into result: inout RepairResult
    ) throws(InspectionError) {
        let damaged = report.segments[cut.segmentIndex]
        var lines = [
            "iris-log repair report", "directory: \(report.directory)", "time: \(aside.stamp) (unix)",
            "damaged segment: \(damaged.name)", "position: byte \(cut.position)", "reason: \(cut.reason)",
        ]
        var moved: [String] = []
        var keptFrom: String? = nil
        for segment in report.segments[cut.segmentIndex...] {
            let target = try aside.move(segment.name)
            moved.append("\(segment.name) -> \(target)")
            let index = SegmentFileName.index(Offset(segment.baseOffset))
            if aside.exists(index) { moved.append("\(index) -> \(try aside.move(index))") }
            if keptFrom == nil { keptFrom = target }
        }
        if !cut.isGap, let keptFrom {
            // Keep the valid frames before the damage under the segment's own name.
            let bytes = try InspectionFiles.readWhole(aside.path(keptFrom))
            try InspectionFiles.createFile(aside.path(damaged.name), bytes: Array(bytes[..<min(cut.position, bytes.count)]))
            lines.append("kept: bytes [0, \(cut.position)) of \(damaged.name) (records \(damaged.baseOffset)..<\(damaged.nextOffset)) copied to a new \(damaged.name)")
        }
        if let last = report.segments.last, last.nextOffset > report.nextOffset {
            lines.append("records no longer in the log: from offset \(report.nextOffset) (up to at least \(last.nextOffset - 1)); they remain in the moved files")
        } else {
            lines.append("records no longer in the log: from offset \(report.nextOffset) on, if any were in the damaged part")
        }
        if aside.exists(SegmentFileName.checkpoint) {
            moved.append("\(SegmentFileName.checkpoint) -> \(try aside.move(SegmentFileName.checkpoint))")
        }
        lines.append(contentsOf: moved.map { "moved: \($0)" })
        let reportName = (keptFrom ?? damaged.name) + ".report"
        try InspectionFiles.createFile(aside.path(reportName), bytes: Array((lines.joined(separator: "\n") + "\n").utf8))
        result.actions.append("corruption in \(damaged.name) at byte \(cut.position): \(cut.reason)")
        result.actions.append(contentsOf: moved.map { "moved aside \($0)" })
        if !cut.isGap { result.actions.append("kept the \(damaged.nextOffset - damaged.baseOffset) valid records before byte \(cut.position) in a new \(damaged.name)") }
        result.actions.append("wrote report \(reportName)")
        result.actions.append("the log now ends before offset \(report.nextOffset)")
    }

    /// Opens the repaired log for writing, which cuts a torn tail and rebuilds indexes, and
    /// records what the open did, or why it still fails.
    private static func open(_ directory: String, segmentSize: Int?, into result: inout RepairResult) async {
        var configuration = LogConfiguration()
        configuration.ioBackend = .posix
        if let segmentSize { configuration.fitToSegmentSize(segmentSize) }
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
    }
}

/// Renames files of a log directory aside as `<name>.corrupt-<unix time>` (with `-2`, `-3`, …
/// when that name is taken), which is how repair keeps what it takes out of the log.
struct SetAside {
    let directory: String
    /// The repair's time, in seconds since the epoch.
    let stamp: Int

    func path(_ name: String) -> String { directory + "/" + name }

    func exists(_ name: String) -> Bool { InspectionFiles.exists(path(name)) }

    /// Renames `name` aside; returns its new name.
    func move(_ name: String) throws(InspectionError) -> String {
        var target = "\(name).corrupt-\(stamp)"
        var attempt = 1
        while exists(target) { attempt += 1; target = "\(name).corrupt-\(stamp)-\(attempt)" }
        try InspectionFiles.rename(from: path(name), to: path(target))
        return target
    }
}
