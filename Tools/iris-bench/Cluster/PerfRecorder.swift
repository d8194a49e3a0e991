import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `perf` over the nodes for part of a measured window: `perf record` for the profile of where
/// the CPU time goes (`perf report -i FILE --no-children --sort comm,dso,sym`), and `perf stat`
/// of the kernel's ext4 fsync tracepoint, which counts the nodes' fdatasyncs whether they go
/// through a system call or io_uring (IrisLog's own fdatasync metric does not see the syncs a
/// replica asks for).
enum PerfRecorder {
    /// Samples `pids` at 499 Hz with call graphs for `seconds` into `output`.
    /// - Throws: `.io` when perf cannot start, fails or hangs.
    static func record(pids: [Int32], seconds: Double, output: String) async throws(ClusterBenchError) {
        _ = try await perf(["record", "-F", "499", "-g", "--no-buildid", "--no-buildid-cache", "-o", output], pids: pids, seconds: seconds)
    }

    /// fsync calls (ext4:ext4_sync_file_enter) by the threads of `pids` over `seconds`; nil when
    /// perf is missing or cannot read the tracepoint.
    static func countSyncs(pids: [Int32], seconds: Double) async -> Double? {
        guard let text = try? await perf(["stat", "-x", ",", "-e", "ext4:ext4_sync_file_enter"], pids: pids, seconds: seconds) else {
            return nil
        }
        // CSV: "COUNT,,EVENT,...".
        let line = text.split(separator: "\n").first { $0.contains("ext4_sync_file_enter") }
        return line.flatMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[0]) }
    }

    /// Runs `/usr/bin/perf ARGUMENTS -p PIDS -- sleep SECONDS` and returns its output; waits at most
    /// `seconds` + 30 s, then kills it by PID.
    private static func perf(_ arguments: [String], pids: [Int32], seconds: Double) async throws(ClusterBenchError) -> String {
        let outputPath = "/tmp/iris-bench-cluster-perf-\(getpid()).txt"
        unlink(outputPath)
        defer { unlink(outputPath) }
        let process = try ChildProcess(
            path: "/usr/bin/perf",
            arguments: arguments + ["-p", pids.map(String.init).joined(separator: ","), "--", "sleep", String(format: "%.1f", seconds)],
            outputPath: outputPath)
        let polls = Int((seconds + 30) * 10)
        for _ in 0..<polls where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            process.stop(signal: SIGKILL, grace: 0)
            throw .io("perf \(arguments[0]) did not finish in \(seconds + 30) s")
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw .io("perf \(arguments[0]) exited with \(process.terminationStatus ?? -1) (apt-get install linux-perf?): \(text.suffix(300))")
        }
        return text
    }
}
