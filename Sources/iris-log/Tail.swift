import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

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
    @Argument(help: "The log directory; omit with --cluster.") var directory: String?
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "First offset to print (default: the current end of the log).") var from: UInt64?
    @Option(help: "Exit after printing this many records.") var count: Int?
    @Option(help: "Polling interval in milliseconds.") var intervalMs = 100
    @Flag(help: "One JSON object per record, as `dump --json`.") var json = false

    func validate() throws {
        if intervalMs < 1 { throw ValidationError("--interval-ms must be at least 1") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        try cluster.validate(directory: directory)
    }

    func run() async throws {
        guard let directory else { return try await ClusterCommands.tail(cluster, from: from, count: count, json: json) }
        let follower = try LogFollower(directory: directory, from: from)
        var printed = 0
        var warned: String? = nil
        if count == 0 { return }
        while true {
            let records = try follower.poll()
            if !records.isEmpty {
                let out = OutputBuffer()
                for record in records {
                    if json { RecordFormat.json(record, into: out) } else { RecordFormat.line(record, offsetWidth: 8, into: out) }
                    printed += 1
                    if let count, printed >= count { break }
                    try out.flushIfFull()
                }
                try out.flush()
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
