#if canImport(Glibc)
import Glibc
#endif
import Foundation
import IrisLog
import Logging

/// The process the supervisor kills: opens the log and appends from many producers until
/// SIGKILL arrives, announcing each append before making it (`I producer sequence count`)
/// and each acknowledgement after it (`A offset count digest producer sequence`) on stdout.
/// Lines are single `write(2)`s to a pipe, so each is atomic and none is lost at the kill.
/// In cycles with an odd seed the odd-numbered producers are OS threads calling
/// `appendBlocking` (which write and sync on their own thread when the writer is idle), the
/// others tasks calling `append`.
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
        let blockingThreads = settings.cycleSeed % 2 == 1
        let failed: String? = await withTaskGroup(of: String?.self) { group in
            for index in 0..<settings.producers {
                let producer = Producer(settings: settings, index: index, log: log, out: out)
                if blockingThreads && index % 2 == 1 {
                    group.addTask { await producer.runOnThread() }
                } else {
                    group.addTask { await producer.run() }
                }
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        out.line("E \(failed ?? "producers ended")")
        return 3
    }

    /// One producer: appends until killed; returns why it stopped otherwise.
    private struct Producer: Sendable {
        let settings: CycleSettings
        let index: Int
        let log: Log
        let out: LineOutput

        /// Append number `sequence`'s records, announced.
        private func announce(_ sequence: Int) -> (records: [Record], digest: String) {
            let records = Workload.records(cycleSeed: settings.cycleSeed, cycle: settings.cycle, producer: index, sequence: sequence)
            out.line("I \(index) \(sequence) \(records.count)")
            return (records, "\(Workload.digest(values: records.lazy.map(\.value)))")
        }

        private func acknowledged(_ first: Offset, _ records: [Record], _ digest: String, _ sequence: Int) {
            out.line("A \(first.rawValue) \(records.count) \(digest) \(index) \(sequence)")
        }

        func run() async -> String? {
            for sequence in 0... {
                let (records, digest) = announce(sequence)
                do {
                    let first: Offset
                    if records.count == 1 && sequence % 2 == 0 {
                        first = try await log.append(records[0])
                    } else {
                        first = try await log.append(contentsOf: records).lowerBound
                    }
                    acknowledged(first, records, digest, sequence)
                } catch {
                    return "append failed: \(error)"
                }
                // The supervisor went away without killing us: stop.
                if (sequence + 1) % 64 == 0 && getppid() == 1 { return "orphaned" }
            }
            return nil
        }

        /// `run()` with `appendBlocking` on a thread of its own.
        func runOnThread() async -> String? {
            await withCheckedContinuation { (done: CheckedContinuation<String?, Never>) in
                Thread {
                    for sequence in 0... {
                        let (records, digest) = announce(sequence)
                        do {
                            acknowledged(try log.appendBlocking(contentsOf: records).lowerBound, records, digest, sequence)
                        } catch {
                            return done.resume(returning: "append failed: \(error)")
                        }
                        if (sequence + 1) % 64 == 0 && getppid() == 1 { return done.resume(returning: "orphaned") }
                    }
                }.start()
            }
        }
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
