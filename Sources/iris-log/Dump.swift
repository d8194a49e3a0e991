import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct Dump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print records, one per line.")
    @Argument(help: "The log directory; omit with --cluster.") var directory: String?
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "First offset to print (default: the first in the log).") var from: UInt64?
    @Option(help: "Print at most this many records.") var count: Int?
    @Flag(help: "One JSON object per record: offset, timestamp_us, key_base64/key, value_base64/value, headers.") var json = false

    func validate() throws {
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        try cluster.validate(directory: directory)
    }

    func run() async throws {
        if count == 0 { return }
        guard let directory else { return try await ClusterCommands.dump(cluster, from: from, count: count, json: json) }
        let out = OutputBuffer()
        var printed = 0
        var failure: ToolFailure? = nil
        let start = from ?? 0
        let report = try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: false, startOffset: from, onRecords: { records in
            for record in records where record.offset.rawValue >= start {
                if json { RecordFormat.json(record, into: out) } else { RecordFormat.line(record, offsetWidth: 8, into: out) }
                printed += 1
                if let count, printed >= count { break }
            }
            do throws(ToolFailure) { try out.flushIfFull() } catch { failure = error; return false }
            if let count, printed >= count { return false }
            return true
        })
        if let failure { throw failure }
        try out.flush()
        if !report.stoppedEarly, let cut = report.cut {
            let segment = report.segments[cut.segmentIndex]
            throw ToolFailure.corrupt("corruption in \(directory)/\(segment.name) at byte \(cut.position): \(cut.reason); records from offset \(report.nextOffset) on cannot be read")
        }
    }
}
