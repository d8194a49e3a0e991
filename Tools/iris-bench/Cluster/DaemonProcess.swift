import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `irisd` child process. It is stopped by its own PID only (SIGTERM, then SIGKILL after
/// a bounded wait), and its output goes to a log file kept for error messages.
final class DaemonProcess {
    /// The node's ID in the cluster.
    let nodeID: Int
    /// Where the node serves clients and peers, "host:port".
    let address: String
    /// Where the node serves Prometheus metrics, "host:port".
    let metricsAddress: String
    /// The file the node's standard output and error go to.
    let logPath: String
    private let process: ChildProcess

    /// Starts `executable` with `arguments`, its output into `logPath`.
    init(executable: String, arguments: [String], nodeID: Int, address: String, metricsAddress: String, logPath: String)
        throws(ClusterBenchError)
    {
        self.nodeID = nodeID
        self.address = address
        self.metricsAddress = metricsAddress
        self.logPath = logPath
        process = try ChildProcess(path: executable, arguments: arguments, outputPath: logPath)
    }

    /// The child's process ID.
    var pid: Int32 { process.pid }

    /// True while the child runs.
    var isRunning: Bool { process.isRunning }

    /// User + system CPU seconds the child used so far (from /proc), 0 when it is gone.
    var cpuSeconds: Double { ProcessCPU.seconds(pid: pid) }

    /// Context switches of the child's live threads so far, and how many threads it has.
    var contextSwitches: (switches: Double, threads: Int) { ProcessCPU.contextSwitches(pid: pid) }

    /// The last `lines` lines of the node's log, for error messages.
    func logTail(lines: Int = 5) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// SIGTERM, then up to 10 s for a clean exit, then SIGKILL; returns once the child is reaped.
    func stop() { process.stop() }
}

/// CPU time of a process from `/proc/PID/stat`.
enum ProcessCPU {
    /// User + system CPU seconds of `pid`, 0 when it cannot be read.
    static func seconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Context switches (voluntary and not) of every live thread of `pid`, and the thread count.
    static func contextSwitches(pid: Int32) -> (switches: Double, threads: Int) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var switches = 0.0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.contains("ctxt_switches:") {
                switches += Double(line.split(separator: "\t").last.map(String.init) ?? "") ?? 0
            }
        }
        return (switches, tasks.count)
    }

    /// User + system CPU seconds of this process so far.
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
