import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

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
            let report = try ProgressBar("index check").showing { progress in
                try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: true, progress: progress)
            }
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
            let result = try ProgressBar("index rebuild").showing { progress in
                try LogMaintenance.rebuildIndexes(directory: directory, intervalBytes: intervalBytes, progress: progress)
            }
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
