import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every frame (CRC, chain, offsets, records), the index files and the checkpoint.",
        discussion: "Exit 0: clean (a torn tail is reported as recoverable); 1: corruption found; 2: usage or I/O error.")
    @Argument(help: "The log directory.") var directory: String
    @Flag(help: "One JSON object per finding, then a summary object.") var json = false

    func run() throws {
        let report = try ProgressBar("verify").showing { progress in
            try LogInspector.inspect(directory: directory, decodeRecords: true, checkIndexes: true, progress: progress)
        }
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
