import ArgumentParser
import Foundation
import IrisClient

/// `iris-bench-cluster` (the `iris-bench cluster` benchmark): N irisd nodes on loopback under a
/// closed loop of durable one-record appends at several client counts, then one node alone at
/// one client for the "no worse than 2× a single node" comparison. Prints a table and, with
/// --json, one JSON object as its last line.
@main
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-bench-cluster",
        abstract: "Durable appends against N irisd nodes on loopback: records/s and latency per client count.",
        discussion: """
            Each client count runs on a fresh cluster (new data directories): node i on \
            127.0.0.(10+i), --partitions partitions of min(3, --nodes) replicas. Each client appends \
            one --record-bytes record per call to partition (client mod P) and waits for the \
            committed answer (durable on a quorum) before the next. The clients share \
            --conns IrisClient instances (default min(clients, 16), like the etcd and NATS loaders \
            share connections); each instance is one idempotent producer. One second of warm-up is not measured. Then a single node (--replicas 1) \
            runs at each --single-clients count. --perf-data adds one more cluster run at the \
            largest client count under `perf record` (not a figure).
            """)

    @Option(help: "Nodes of the cluster.")
    var nodes = 3
    @Option(help: "Client counts, comma-separated; one fresh cluster each.")
    var clients = "1,16,256"
    @Option(help: "Client counts for the single-node runs, comma-separated (empty: none).")
    var singleClients = "1"
    @Option(help: "Measured seconds per run.")
    var duration: Double = 10
    @Option(help: "Warm-up seconds per run, not measured.")
    var warmup: Double = 1
    @Option(help: "Partitions of the cluster.")
    var partitions = 6
    @Option(help: "Bytes of value per record.")
    var recordBytes = 1024
    @Option(help: "IrisClient instances the clients share, each one producer (default: min(clients, 16), like the peers' loaders).")
    var conns: Int?
    @Option(help: "The irisd binary (default: irisd beside this program).")
    var irisd: String?
    @Option(help: "Directory for the nodes' temporary data (the disk to measure).")
    var dir = "/tmp"
    @Option(help: "After the measured runs, profile one more run at the largest client count with perf into this file.")
    var perfData: String?
    @Flag(help: "Print one JSON object as the last line.")
    var json = false

    func validate() throws {
        guard nodes >= 1, nodes <= 200, partitions >= 1, recordBytes >= 1, duration > 0, warmup >= 0, (conns ?? 1) >= 1 else {
            throw ValidationError("nodes (1...200), partitions, record-bytes, duration and conns must be positive")
        }
        guard (try? Self.levels(clients)) != nil, (try? Self.levels(singleClients)) != nil else {
            throw ValidationError("--clients and --single-clients: comma-separated positive integers")
        }
    }

    func run() async throws {
        let binary = irisd ?? Self.siblingIrisd()
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("no irisd at \(binary); build it (swift build -c release --product irisd) or pass --irisd")
        }
        let replicas = min(3, nodes)
        var runs: [RunResult] = []
        var port = 7500
        for count in try Self.levels(clients) {
            let result = try await measure(mode: "cluster", irisd: binary, nodes: nodes, replicas: replicas, clients: count, port: port)
            print(Self.line(result))
            runs.append(result)
            port += 2
        }
        for count in try Self.levels(singleClients) {
            let result = try await measure(mode: "single", irisd: binary, nodes: 1, replicas: 1, clients: count, port: port)
            print(Self.line(result))
            runs.append(result)
            port += 2
        }
        if let perfData, let count = try Self.levels(clients).max() {
            let result = try await measure(mode: "profile", irisd: binary, nodes: nodes, replicas: replicas, clients: count, port: port,
                                           perfData: perfData)
            print(Self.line(result) + "  (under perf: not a figure)")
            runs.append(result)
        }
        let output = ClusterBenchOutput(
            timestamp: ISO8601DateFormatter().string(from: Date()), nproc: ProcessInfo.processInfo.activeProcessorCount,
            recordBytes: recordBytes, irisd: binary, dir: dir, perfData: perfData, runs: runs)
        print(output.comparisonText)
        if json { print(try output.jsonLine()) }
    }

    /// One run on a fresh cluster: start, wait for leaders, load, sample metrics and CPU, stop.
    private func measure(mode: String, irisd: String, nodes: Int, replicas: Int, clients count: Int, port: Int,
                         perfData: String? = nil) async throws -> RunResult
    {
        let cluster = try LocalCluster.start(irisd: irisd, nodes: nodes, partitions: partitions, replicas: replicas, parent: dir, port: port)
        do {
            let result = try await measure(cluster, mode: mode, replicas: replicas, clients: count, perfData: perfData)
            cluster.stop()
            return result
        } catch {
            cluster.stop()
            throw error
        }
    }

    private func measure(_ cluster: LocalCluster, mode: String, replicas: Int, clients count: Int, perfData: String?) async throws
        -> RunResult
    {
        try await cluster.waitForLeaders(timeout: .seconds(30))
        let connections = min(conns ?? 16, count)
        var pool: [IrisClient] = []
        for _ in 0..<connections { pool.append(try IrisClient(endpoints: cluster.endpoints)) }
        let loop = ClosedLoop(
            clients: pool, clientCount: count, partitions: partitions, payload: Self.payload(bytes: recordBytes),
            warmup: .milliseconds(Int(warmup * 1000)), duration: .milliseconds(Int(duration * 1000)), operationsMax: 2_000_000)
        let metricsAddresses = cluster.daemons.map(\.metricsAddress)
        let nodeCPU = cluster.cpuSeconds, ownCPU = ProcessCPU.ownSeconds()
        async let loaded = loop.run()
        try? await Task.sleep(for: .milliseconds(Int(warmup * 1000)))
        let start = await NodeMetricsSample.scrape(metricsAddresses)
        let switchesStart = cluster.daemons.reduce(0) { $0 + $1.contextSwitches.switches }
        let pids = cluster.daemons.map(\.pid)
        var fdatasyncs: Double?
        if let perfData {
            try await PerfRecorder.record(pids: pids + [getpid()], seconds: duration * 0.8, output: perfData)
        } else {
            fdatasyncs = await PerfRecorder.countSyncs(pids: pids, seconds: duration * 0.8)
        }
        let queueBytes = await NodeMetricsSample.scrape(metricsAddresses).maxima["iris_peer_queue_bytes"] ?? 0
        let threads = cluster.daemons.reduce(0) { $0 + $1.contextSwitches.threads }
        let load = await loaded
        let end = await NodeMetricsSample.scrape(metricsAddresses)
        let switchesEnd = cluster.daemons.reduce(0) { $0 + $1.contextSwitches.switches }
        var metrics = end.delta(since: start)
        metrics.fdatasyncsPerSecond = fdatasyncs.map { $0 / (duration * 0.8) }
        metrics.nodeThreads = threads
        metrics.contextSwitchesPerCommit = metrics.commits > 0 ? (switchesEnd - switchesStart) / metrics.commits : nil
        return RunResult(
            mode: mode, nodes: cluster.daemons.count, replicas: replicas, partitions: partitions, clients: count, conns: connections,
            load: load, nodeCpuS: cluster.cpuSeconds - nodeCPU, clientCpuS: ProcessCPU.ownSeconds() - ownCPU,
            metrics: metrics, peerQueueBytesMax: max(queueBytes, end.maxima["iris_peer_queue_bytes"] ?? 0))
    }

    /// "1,16,256" as [1, 16, 256]; [] for "".
    static func levels(_ text: String) throws(ValidationError) -> [Int] {
        try text.split(separator: ",").map { (part: Substring) throws(ValidationError) -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value >= 1, value <= 100_000 else {
                throw ValidationError("not a client count: \(part)")
            }
            return value
        }
    }

    /// `irisd` in the same directory as this program.
    static func siblingIrisd() -> String {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("irisd").path
    }

    /// `bytes` bytes, half random and half zeros (like iris-bench append's records).
    static func payload(bytes: Int) -> [UInt8] {
        (0..<bytes).map { $0 < bytes / 2 ? UInt8.random(in: 0...255) : 0 }
    }

    /// One table row for `run`.
    static func line(_ run: RunResult) -> String {
        func ms(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
        return "\(run.mode) nodes=\(run.nodes) R=\(run.replicas) clients=\(run.clients): "
            + String(format: "%.0f", run.opsPerS) + " records/s, p50 \(ms(run.p50Ms)) ms, p99 \(ms(run.p99Ms)) ms, "
            + "p99.9 \(ms(run.p999Ms)) ms, errors \(run.errors), node CPU " + String(format: "%.1f", run.nodeCpuS) + " s, "
            + "fsyncs/s " + (run.metrics.fdatasyncsPerSecond.map { String(format: "%.0f", $0) } ?? "-") + ", "
            + "context switches per append " + (run.metrics.contextSwitchesPerCommit.map { String(format: "%.1f", $0) } ?? "-")
    }
}
