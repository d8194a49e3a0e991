import ArgumentParser
import Foundation
import IrisLog
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `iris-log`: inspect, verify, append to, follow and repair an IrisLog directory.
///
/// Exit codes: 0 success; 1 corruption found (verify) or the operation could not complete
/// on damaged data; 2 usage or I/O error. Every failure prints one line on stderr.
@main
struct IrisLogTool {
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.isEmpty {
            Output.error("missing subcommand: info, dump, verify, append, repair, tail or index (see `iris-log --help`)")
            exit(2)
        }
        let command: any ParsableCommand
        do {
            command = try IrisLogCommand.parseAsRoot(arguments)
        } catch {
            let code = IrisLogCommand.exitCode(for: error)
            if code == .success {
                _ = Output.writeAll(1, Array((IrisLogCommand.fullMessage(for: error) + "\n").utf8))
                exit(0)
            }
            let message = IrisLogCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            Output.error("\(message) (see `iris-log --help`)")
            exit(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let failure as ToolFailure {
            Output.error(failure.message)
            exit(failure.code)
        } catch let error as InspectionError {
            Output.error(error.description)
            exit(error.exitCode)
        } catch let error as LogError {
            let failure = ToolFailure(error)
            Output.error(failure.message)
            exit(failure.code)
        } catch {
            let code = IrisLogCommand.exitCode(for: error)
            if code == .success {
                _ = Output.writeAll(1, Array((IrisLogCommand.fullMessage(for: error) + "\n").utf8))
                exit(0)
            }
            let message = IrisLogCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            Output.error(message)
            exit(2)
        }
        exit(0)
    }
}

struct IrisLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-log",
        abstract: "Inspect, verify, append to, follow and repair an IrisLog directory.",
        discussion: "Exit codes: 0 success; 1 corruption found or operation impossible on damaged data; 2 usage or I/O error.",
        subcommands: [Info.self, Dump.self, Verify.self, Append.self, Repair.self, Tail.self, Index.self])
}

// MARK: - info

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Segments, offsets, record count, bytes and compression of a log.")
    @Argument(help: "The log directory.") var directory: String
    @Flag(help: "One JSON object on one line.") var json = false

    func run() throws {
        let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: true)
        let prefix = report.prefixSegments
        let records = prefix.reduce(0) { $0 + $1.records }
        let frames = prefix.reduce(0) { $0 + $1.frames }
        let compressedFrames = prefix.reduce(0) { $0 + $1.compressedFrames }
        let dataBytes = prefix.reduce(0) { $0 + $1.dataBytes }
        let fileBytes = report.segments.reduce(0) { $0 + $1.fileBytes }
        let stored = prefix.reduce(0) { $0 + $1.storedPayloadBytes }
        let uncompressed = prefix.reduce(0) { $0 + $1.uncompressedPayloadBytes }
        let ratio = stored > 0 ? Double(uncompressed) / Double(stored) : 1.0
        let next = report.nextOffset
        let first = report.firstOffset
        let status = report.cut != nil || report.hasErrors ? "corrupt" : (report.findings.contains { $0.kind == .tornTail } ? "torn_tail" : "clean")
        if json {
            var pairs: [(String, JSON)] = [
                ("directory", .string(directory)),
                ("segments", .int(report.segments.count)),
                ("sealed_segments", .int(report.segments.filter(\.sealed).count)),
                ("first_offset", .uint(first)),
                ("last_offset", next > first ? .uint(next - 1) : .null),
                ("next_offset", .uint(next)),
                ("records", .int(records)),
                ("frames", .int(frames)),
                ("compressed_frames", .int(compressedFrames)),
                ("data_bytes", .int(dataBytes)),
                ("file_bytes", .int(fileBytes)),
                ("stored_payload_bytes", .int(stored)),
                ("uncompressed_payload_bytes", .int(uncompressed)),
                ("compression_ratio", .double(ratio)),
                ("status", .string(status)),
            ]
            if let checkpoint = report.checkpoint {
                pairs.append(("checkpoint", .object([
                    ("sequence", .uint(checkpoint.sequence)), ("segment_base", .uint(checkpoint.segmentBase)),
                    ("synced_position", .int(checkpoint.syncedPosition)), ("next_offset", .uint(checkpoint.nextOffset)),
                ])))
            }
            pairs.append(("segment_list", .array(report.segments.map { segment in
                .object([
                    ("name", .string(segment.name)), ("base_offset", .uint(segment.baseOffset)), ("next_offset", .uint(segment.nextOffset)),
                    ("records", .int(segment.records)), ("frames", .int(segment.frames)), ("data_bytes", .int(segment.dataBytes)),
                    ("file_bytes", .int(segment.fileBytes)), ("sealed", .bool(segment.sealed)), ("index", .string(segment.index)),
                    ("compressed_frames", .int(segment.compressedFrames)),
                ])
            })))
            try Output.out(JSON.object(pairs).text + "\n")
        } else {
            var rows: [[String]] = [
                ["directory", directory],
                ["segments", "\(report.segments.count) (\(report.segments.filter(\.sealed).count) sealed)"],
                ["first offset", String(first)],
                ["last offset", next > first ? String(next - 1) : "- (empty)"],
                ["records", String(records)],
                ["frames", "\(frames) (\(compressedFrames) zstd)"],
                ["data bytes", "\(dataBytes) (\(formatBytes(dataBytes)))"],
                ["file bytes", "\(fileBytes) (\(formatBytes(fileBytes)), preallocation included)"],
                ["compression", String(format: "%.2fx (%d payload bytes stored for %d)", ratio, stored, uncompressed)],
            ]
            if let checkpoint = report.checkpoint {
                rows.append(["checkpoint", "sequence \(checkpoint.sequence), segment \(checkpoint.segmentBase), synced to byte \(checkpoint.syncedPosition)"])
            }
            rows.append(["status", status])
            var text = table(rows)
            if !report.segments.isEmpty {
                text += "\n"
                var segmentRows = [["SEGMENT", "FIRST", "NEXT", "RECORDS", "FRAMES", "DATA BYTES", "FILE BYTES", "INDEX"]]
                for segment in report.segments {
                    segmentRows.append([segment.name, String(segment.baseOffset), String(segment.nextOffset), String(segment.records),
                                        String(segment.frames), String(segment.dataBytes), String(segment.fileBytes),
                                        segment.index + (segment.beyondCorruption ? " (beyond corruption)" : "")])
                }
                text += table(segmentRows, rightAligned: [1, 2, 3, 4, 5, 6])
            }
            try Output.out(text)
        }
        if let cut = report.cut {
            let segment = report.segments[cut.segmentIndex]
            throw ToolFailure.corrupt("corruption in \(directory)/\(segment.name) at byte \(cut.position): \(cut.reason); only offsets before \(next) are valid (run `iris-log verify`)")
        }
        if let finding = report.findings.first(where: \.isError) {
            throw ToolFailure.corrupt(describe(finding, directory: directory))
        }
    }
}

func describe(_ finding: InspectionFinding, directory: String) -> String {
    let place = finding.position.map { " at byte \($0)" } ?? ""
    switch finding.kind {
    case .corruption: return "corruption in \(directory)/\(finding.file)\(place): \(finding.reason)"
    case .index: return "damaged index \(directory)/\(finding.file)\(place): \(finding.reason)"
    case .tornTail: return "torn tail in \(directory)/\(finding.file)\(place): \(finding.reason)"
    case .note: return "note: \(directory)/\(finding.file)\(place): \(finding.reason)"
    }
}

func findingJSON(_ finding: InspectionFinding, directory: String) -> JSON {
    .object([
        ("kind", .string(finding.kind.rawValue)),
        ("file", .string(finding.file)),
        ("path", .string(directory + "/" + finding.file)),
        ("position", finding.position.map { .int($0) } ?? .null),
        ("reason", .string(finding.reason)),
    ])
}

// MARK: - dump

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print records, one per line.")
    @Argument(help: "The log directory.") var directory: String
    @Option(help: "First offset to print (default: the first in the log).") var from: UInt64?
    @Option(help: "Print at most this many records.") var count: Int?
    @Flag(help: "One JSON object per record: offset, timestamp_us, key_base64/key, value_base64/value, headers.") var json = false

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
    }

    func run() throws {
        if count == 0 { return }
        var buffer = ""
        var printed = 0
        var failure: ToolFailure? = nil
        let width = 8
        let start = from ?? 0
        let report = try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: false, startOffset: from, onRecords: { records in
            for record in records where record.offset.rawValue >= start {
                if json { buffer += recordJSON(record).text + "\n" } else { buffer += recordLine(record, offsetWidth: width) + "\n" }
                printed += 1
                if let count, printed >= count { break }
            }
            if buffer.utf8.count >= 1 << 16 {
                do throws(ToolFailure) { try Output.out(buffer) } catch { failure = error; return false }
                buffer = ""
            }
            if let count, printed >= count { return false }
            return true
        })
        if let failure { throw failure }
        try Output.out(buffer)
        if !report.stoppedEarly, let cut = report.cut {
            let segment = report.segments[cut.segmentIndex]
            throw ToolFailure.corrupt("corruption in \(directory)/\(segment.name) at byte \(cut.position): \(cut.reason); records from offset \(report.nextOffset) on cannot be read")
        }
    }
}

// MARK: - verify

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every frame (CRC, chain, offsets, records), the index files and the checkpoint.",
        discussion: "Exit 0: clean (a torn tail is reported as recoverable); 1: corruption found; 2: usage or I/O error.")
    @Argument(help: "The log directory.") var directory: String
    @Flag(help: "One JSON object per finding, then a summary object.") var json = false

    func run() throws {
        let progress = ProgressBar("verify")
        let report: InspectionReport
        do {
            report = try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: true, progress: progress.callback)
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        let records = report.prefixSegments.reduce(0) { $0 + $1.records }
        let status = report.hasErrors ? "corrupt" : (report.findings.contains { $0.kind == .tornTail } ? "recoverable" : "clean")
        if json {
            var text = ""
            for finding in report.findings { text += findingJSON(finding, directory: directory).text + "\n" }
            text += JSON.object([
                ("status", .string(status)),
                ("segments", .int(report.segments.count)),
                ("records", .int(records)),
                ("first_offset", .uint(report.firstOffset)),
                ("next_offset", .uint(report.nextOffset)),
                ("errors", .int(report.findings.filter(\.isError).count)),
            ]).text + "\n"
            try Output.out(text)
        } else {
            var rows: [[String]] = []
            for finding in report.findings {
                let label = switch finding.kind {
                case .corruption: "CORRUPT"
                case .index: "BAD INDEX"
                case .tornTail: "TORN TAIL"
                case .note: "note"
                }
                rows.append([label, finding.file, finding.position.map { "byte \($0)" } ?? "-", finding.reason])
            }
            var text = rows.isEmpty ? "" : table(rows)
            text += "\(report.segments.count) segment(s), \(records) valid record(s), offsets \(report.firstOffset)..<\(report.nextOffset): "
            let verdict = switch status {
            case "clean": "clean\n"
            case "recoverable": "clean except a torn tail (recoverable: the next open for writing or `iris-log repair` cuts it)\n"
            default: "\(report.findings.filter(\.isError).count) problem(s) found\n"
            }
            text += verdict
            try Output.out(text)
        }
        for finding in report.findings where finding.isError { Output.error(describe(finding, directory: directory)) }
        if report.hasErrors { throw ExitCode(1) }
    }
}

// MARK: - append

enum CompressionChoice: String, ExpressibleByArgument, CaseIterable {
    case none, zstd
}

struct Append: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append stdin's lines as records; print each offset once the record is durable.",
        discussion: """
            Each line is one record (the newline is not part of it; a last line without a newline is a record \
            too). Lines available together are appended as one batch. Each offset is printed, and stdout \
            flushed, only after the record is durable (written, with --no-sync), so a reader of the output \
            knows exactly what was acknowledged.
            """)
    @Argument(help: "The log directory (created when missing).") var directory: String
    @Option(help: "Compression of new batches: none or zstd.") var compression: CompressionChoice = .none
    @Flag(help: "Acknowledge once written to the OS, before fdatasync (Durability.none).") var noSync = false
    @Option(help: "Segment size in bytes for a new log (default: the active segment's size, else 64 MiB).") var segmentSize: Int?

    func run() async throws {
        var configuration = LogConfiguration()
        configuration.compression = compression == .zstd ? .zstd : .none
        configuration.durability = noSync ? .none : .fsync
        if let size = segmentSize ?? LogInspector.inferredSegmentSize(directory: directory) {
            configuration.segmentSizeBytes = size
            // Small segments need smaller batches: a largest frame must fit in one segment.
            configuration.batchBytesMax = min(configuration.batchBytesMax, size - 128)
            configuration.recordBytesMax = min(configuration.recordBytesMax, configuration.batchBytesMax - 64)
            configuration.appendQueueBytesMax = max(configuration.appendQueueBytesMax, size)
        }
        var logger = Logger(label: "iris-log")
        logger.logLevel = .error
        let log = try Log.open(directory: directory, configuration: configuration, logger: logger)
        do {
            try await appendLines(to: log, recordBytesMax: configuration.recordBytesMax, batchBytesMax: configuration.batchBytesMax)
        } catch {
            await log.close()
            throw error
        }
        await log.close()
    }

    private func appendLines(to log: Log, recordBytesMax: Int, batchBytesMax: Int) async throws {
        // Encoded size of a batch: the values plus at most 32 bytes of varints per record.
        let groupBytesMax = min(1 << 20, batchBytesMax)
        var input = StandardInput()
        var pending: [UInt8] = []
        var lineNumber = 0
        var finished = false
        while !finished {
            var lines: [[UInt8]] = []
            var bytes = 0
            repeat {
                guard let chunk = try input.read() else { finished = true; break }
                pending.append(contentsOf: chunk)
                var start = 0
                while let newline = pending[start...].firstIndex(of: 10) {
                    lines.append(Array(pending[start..<newline]))
                    bytes += newline - start + 32
                    start = newline + 1
                }
                pending.removeFirst(start)
                if pending.count > recordBytesMax {
                    throw ToolFailure.usage("line \(lineNumber + lines.count + 1) of the input is longer than the record limit of \(recordBytesMax) bytes")
                }
            } while bytes < groupBytesMax && input.hasMoreNow()
            if finished && !pending.isEmpty {
                lines.append(pending)
                pending = []
            }
            // Append in batches of at most groupBytesMax, each acknowledged before printing.
            var first = 0
            while first < lines.count {
                var last = first
                var batchBytes = 0
                while last < lines.count && (last == first || batchBytes + lines[last].count + 32 <= groupBytesMax) {
                    if lines[last].count > recordBytesMax {
                        throw ToolFailure.usage("line \(lineNumber + last + 1) of the input is \(lines[last].count) bytes, above the record limit of \(recordBytesMax) bytes")
                    }
                    batchBytes += lines[last].count + 32
                    last += 1
                }
                let records = lines[first..<last].map { Record(value: $0) }
                let offsets: ClosedRange<Offset>
                do {
                    offsets = try await log.append(contentsOf: records)
                } catch {
                    throw ToolFailure(code: 2, message: "append of input lines \(lineNumber + first + 1)...\(lineNumber + last) failed: \(error.description)")
                }
                var text = ""
                for offset in offsets.lowerBound.rawValue...offsets.upperBound.rawValue { text += "\(offset)\n" }
                do {
                    try Output.out(text, ackRequired: true)
                } catch {
                    throw ToolFailure(code: 2, message: "records \(offsets.lowerBound)...\(offsets.upperBound) were appended but their offsets could not be written to stdout: \(error.message)")
                }
                first = last
            }
            lineNumber += lines.count
        }
    }
}

/// Chunked reads of stdin (fd 0).
struct StandardInput {
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// The next chunk, blocking until one is available; nil at end of input.
    mutating func read() throws(ToolFailure) -> [UInt8]? {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress!, $0.count) }
            if count > 0 { return Array(buffer[..<count]) }
            if count == 0 { return nil }
            if errno == EINTR || errno == EAGAIN { continue }
            throw ToolFailure.io("reading stdin failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Whether more input (or end of input) can be read without waiting.
    func hasMoreNow() -> Bool {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLIN) != 0
    }
}

// MARK: - repair

struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a damaged log openable with its valid prefix, keeping every damaged file aside.",
        discussion: """
            Cuts a torn tail; renames a corrupt segment (and any later one, which no longer joins) to \
            <name>.corrupt-<unix time> next to a .report file describing the damage, copies the valid frames \
            before the damage into a new segment of the same name, moves a checkpoint that no longer matches \
            aside, rebuilds damaged indexes. Never deletes data.
            """)
    @Argument(help: "The log directory.") var directory: String

    func run() async throws {
        let progress = ProgressBar("repair")
        let result: LogMaintenance.RepairResult
        do {
            result = try await LogMaintenance.repair(directory: directory, progress: progress.callback)
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        var text = result.actions.map { $0 + "\n" }.joined()
        if result.actions.isEmpty { text = "nothing to repair\n" }
        try Output.out(text)
        if let remaining = result.remainingError {
            throw ToolFailure.corrupt("the log still does not open after repair: \(remaining)")
        }
    }
}

// MARK: - tail

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow new records as a writer appends them.",
        discussion: """
            Polls the segment files every --interval-ms milliseconds (default 100): a read-only Log does not \
            see appends made after it opened, so tail reads on from where it stopped, checks each new frame \
            (CRC, chain, offsets, records) and prints its records, following segment rolls. A frame is shown \
            once written completely; the writer acknowledges it a moment later, after its fdatasync. \
            Runs until interrupted, or until --count records were printed.
            """)
    @Argument(help: "The log directory.") var directory: String
    @Option(help: "First offset to print (default: the current end of the log).") var from: UInt64?
    @Option(help: "Exit after printing this many records.") var count: Int?
    @Option(help: "Polling interval in milliseconds.") var intervalMs = 100
    @Flag(help: "One JSON object per record, as `dump --json`.") var json = false

    func validate() throws {
        if intervalMs < 1 { throw ValidationError("--interval-ms must be at least 1") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
    }

    func run() async throws {
        let follower = try LogFollower(directory: directory, from: from)
        var printed = 0
        var warned: String? = nil
        if count == 0 { return }
        while true {
            let records = try follower.poll()
            if !records.isEmpty {
                var text = ""
                for record in records {
                    text += (json ? recordJSON(record).text : recordLine(record, offsetWidth: 8)) + "\n"
                    printed += 1
                    if let count, printed >= count { break }
                }
                try Output.out(text)
                if let count, printed >= count { return }
                continue
            }
            if let stalled = follower.stalled, stalled != warned {
                Output.error("waiting at \(directory)/\(stalled)")
                warned = stalled
            }
            try await Task.sleep(for: .milliseconds(intervalMs))
        }
    }
}

// MARK: - index

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check or rebuild the index files of sealed segments.")
    @Argument(help: "The log directory.") var directory: String
    @Flag(help: "Compare each index file with its segment's frames.") var check = false
    @Flag(help: "Rewrite every sealed segment's index file from its frames.") var rebuild = false
    @Option(help: "Bytes of log between index entries when rebuilding.") var intervalBytes = 4096
    @Flag(help: "JSON lines.") var json = false

    func validate() throws {
        if check == rebuild { throw ValidationError("give exactly one of --check and --rebuild") }
        if intervalBytes < 64 { throw ValidationError("--interval-bytes must be at least 64") }
    }

    func run() throws {
        if check {
            let progress = ProgressBar("index check")
            let report: InspectionReport
            do {
                report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: true, progress: progress.callback)
            } catch { progress.finish(); throw error }
            progress.finish()
            var text = ""
            var rows: [[String]] = []
            for segment in report.segments {
                let indexName = segment.name.replacingOccurrences(of: ".log", with: ".index")
                if json {
                    text += JSON.object([("segment", .string(segment.name)), ("index", .string(indexName)), ("status", .string(segment.index))]).text + "\n"
                } else {
                    rows.append([indexName, segment.index == "active" ? "- (active segment, no index file)" : segment.index])
                }
            }
            let problems = report.findings.filter { $0.kind == .index || $0.kind == .corruption }
            if json {
                for finding in report.findings { text += findingJSON(finding, directory: directory).text + "\n" }
            } else {
                text += table(rows)
                for finding in report.findings where finding.kind == .note || finding.kind == .index {
                    text += "\(finding.file): \(finding.reason)\n"
                }
                text += problems.isEmpty ? "indexes ok\n" : "\(problems.count) problem(s) found\n"
            }
            try Output.out(text)
            for finding in problems { Output.error(describe(finding, directory: directory)) }
            if !problems.isEmpty { throw ExitCode(1) }
        } else {
            let progress = ProgressBar("index rebuild")
            let result: (written: [String], problems: [InspectionFinding])
            do {
                result = try LogMaintenance.rebuildIndexes(directory: directory, intervalBytes: intervalBytes, progress: progress.callback)
            } catch { progress.finish(); throw error }
            progress.finish()
            var text = ""
            for name in result.written {
                text += json ? JSON.object([("index", .string(name)), ("status", .string("rebuilt"))]).text + "\n" : "rebuilt \(name)\n"
            }
            if result.written.isEmpty && !json { text += "no sealed segment: nothing to rebuild\n" }
            try Output.out(text)
            for finding in result.problems { Output.error(describe(finding, directory: directory)) }
            if !result.problems.isEmpty { throw ExitCode(1) }
        }
    }
}
