import Foundation

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
