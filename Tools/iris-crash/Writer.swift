#if canImport(Glibc)
import Glibc
#endif
import IrisLog
import Logging

/// The process the supervisor kills: opens the log and appends from many producers until
/// SIGKILL arrives, announcing each append before making it (`I producer sequence count`)
/// and each acknowledgement after it (`A offset count digest producer sequence`) on stdout.
/// Lines are single `write(2)`s to a pipe, so each is atomic and none is lost at the kill.
struct WriterProcess {
    let settings: CycleSettings
    let directory: String

    func run() async -> Int32 {
        let out = LineOutput()
        let log: Log
        do {
            log = try Log.open(directory: directory, configuration: settings.configuration(), logger: quietLogger())
        } catch {
            out.line("E open failed: \(error)")
            return 2
        }
        out.line("R \(log.firstOffset.rawValue) \(log.nextOffset.rawValue) \(log.ioBackendName)")
        let settings = self.settings
        let seed = settings.cycleSeed
        let failed: String? = await withTaskGroup(of: String?.self) { group in
            for producer in 0..<settings.producers {
                group.addTask {
                    var sequence = 0
                    while true {
                        let records = Workload.records(cycleSeed: seed, cycle: settings.cycle, producer: producer, sequence: sequence)
                        let digest = Workload.digest(values: records.lazy.map(\.value))
                        out.line("I \(producer) \(sequence) \(records.count)")
                        do {
                            let first: Offset
                            if records.count == 1 && sequence % 2 == 0 {
                                first = try await log.append(records[0])
                            } else {
                                first = try await log.append(contentsOf: records).lowerBound
                            }
                            out.line("A \(first.rawValue) \(records.count) \(digest) \(producer) \(sequence)")
                        } catch {
                            return "append failed: \(error)"
                        }
                        sequence += 1
                        // The supervisor went away without killing us: stop.
                        if sequence % 64 == 0 && getppid() == 1 { return "orphaned" }
                    }
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        out.line("E \(failed ?? "producers ended")")
        return 3
    }
}

/// Writes whole lines to stdout with one write(2) each.
final class LineOutput: Sendable {
    func line(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(10)
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let written = write(1, buffer.baseAddress! + done, buffer.count - done)
                if written < 0 {
                    if errno == EINTR { continue }
                    exit(4) // the supervisor closed the pipe
                }
                done += written
            }
        }
    }
}

func quietLogger() -> Logger {
    Logger(label: "iris-crash", factory: { _ in SwiftLogNoOpLogHandler() })
}
