import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

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
            knows exactly what was acknowledged. With --cluster HOST:PORT[,...] the lines go to a partition of \
            a running cluster: each offset is printed once its record is committed on a quorum, every line is \
            appended exactly once across leader changes and retries, and the command fails with one line on \
            stderr when the cluster cannot commit within --timeout.
            """)
    @Argument(help: "The log directory (created when missing); omit with --cluster.") var directory: String?
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "Compression of new batches: none or zstd.") var compression: CompressionChoice = .none
    @Flag(help: "Acknowledge once written to the OS, before fdatasync (Durability.none).") var noSync = false
    @Option(help: "Segment size in bytes for a new log (default: the active segment's size, else 64 MiB).") var segmentSize: Int?

    func validate() throws {
        try cluster.validate(directory: directory)
        if cluster.cluster != nil && (compression != .none || noSync || segmentSize != nil) {
            throw ValidationError("--compression, --no-sync and --segment-size apply to a log DIR, not to --cluster")
        }
    }

    func run() async throws {
        guard let directory else { return try await ClusterCommands.append(cluster) }
        var configuration = LogConfiguration()
        configuration.compression = compression == .zstd ? .zstd : .none
        configuration.durability = noSync ? .none : .fsync
        if let size = segmentSize ?? LogInspector.inferredSegmentSize(directory: directory) {
            configuration.fitToSegmentSize(size)
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
        try await appendInputLines(recordBytesMax: recordBytesMax, groupBytesMax: min(1 << 20, batchBytesMax)) { records, lines in
            do throws(LogError) {
                let offsets = try await log.append(contentsOf: records)
                return Array(offsets.lowerBound.rawValue...offsets.upperBound.rawValue)
            } catch {
                throw ToolFailure(code: 2, message: "append of input lines \(lines.lowerBound)...\(lines.upperBound) failed: \(error.description)")
            }
        }
    }
}

/// Reads stdin's lines (one record each; lines available together form groups of at most
/// `groupBytesMax`), hands each group to `append` with its 1-based input line numbers, and
/// prints the offsets it returns, one per line, flushing stdout after each group.
func appendInputLines(
    recordBytesMax: Int, groupBytesMax: Int, append: ([Record], ClosedRange<Int>) async throws -> [UInt64]
) async throws {
    // Encoded size of a batch: the values plus at most 32 bytes of varints per record.
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
            let offsets = try await append(records, (lineNumber + first + 1)...(lineNumber + last))
            var text = ""
            for offset in offsets { text += "\(offset)\n" }
            do {
                try Output.out(text, ackRequired: true)
            } catch {
                throw ToolFailure(code: 2, message: "records \(offsets.first ?? 0)...\(offsets.last ?? 0) were appended but their offsets could not be written to stdout: \(error.message)")
            }
            first = last
        }
        lineNumber += lines.count
    }
}

/// Chunked reads of stdin (fd 0).
struct StandardInput {
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    /// The next chunk, blocking until one is available; nil at end of input.
    mutating func read() throws(ToolFailure) -> [UInt8]? {
        do {
            let count = try buffer.withUnsafeMutableBytes { bytes in
                Result { () throws(StorageError) in try Syscall.retrying("read", "stdin") { Glibc.read(0, bytes.baseAddress!, bytes.count) } }
            }.get()
            return count > 0 ? Array(buffer[..<count]) : nil
        } catch {
            throw ToolFailure.io("reading stdin failed: \(String(cString: strerror(error.errno)))")
        }
    }

    /// Whether more input (or end of input) can be read without waiting.
    func hasMoreNow() -> Bool {
        var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLIN) != 0
    }
}
