/// One measured run: a fresh cluster (or single node) under one client count.
struct RunResult: Codable, Sendable {
    /// "cluster" (N nodes, R replicas) or "single" (one node, one replica), or "profile" (a
    /// cluster run under `perf record`, not a figure).
    var mode: String
    var nodes: Int
    var replicas: Int
    var partitions: Int
    var clients: Int
    /// IrisClient instances the clients share (each one connection per node it talks to).
    var conns: Int
    /// Appends measured (started in the window and committed).
    var ops: Int
    var errors: Int
    var firstError: String?
    var durationS: Double
    var opsPerS: Double
    var p50Ms: Double?
    var p99Ms: Double?
    var p999Ms: Double?
    var maxMs: Double?
    /// CPU seconds of every node over warm-up and window.
    var nodeCpuS: Double
    /// CPU seconds of this load generator over warm-up and window.
    var clientCpuS: Double
    /// Node counters over the measured window.
    var metrics: NodeMetricsDelta
    /// Largest `iris_peer_queue_bytes` of any node towards any peer, sampled mid-window and at its end.
    var peerQueueBytesMax: Double

    /// The result of `load` on a cluster of `nodes` nodes.
    init(mode: String, nodes: Int, replicas: Int, partitions: Int, clients: Int, conns: Int, load: LoadResult,
         nodeCpuS: Double, clientCpuS: Double, metrics: NodeMetricsDelta, peerQueueBytesMax: Double)
    {
        self.mode = mode
        self.nodes = nodes
        self.replicas = replicas
        self.partitions = partitions
        self.clients = clients
        self.conns = conns
        ops = load.latencies.count
        errors = load.errors
        firstError = load.firstError
        durationS = load.seconds
        opsPerS = Double(load.latencies.count) / load.seconds
        p50Ms = Self.percentile(load.latencies, 0.50)
        p99Ms = Self.percentile(load.latencies, 0.99)
        p999Ms = Self.percentile(load.latencies, 0.999)
        maxMs = load.latencies.last.map { Double($0) / 1e6 }
        self.nodeCpuS = nodeCpuS
        self.clientCpuS = clientCpuS
        self.metrics = metrics
        self.peerQueueBytesMax = peerQueueBytesMax
    }

    /// The `fraction` quantile of `sorted` (nearest rank), in milliseconds; nil when empty.
    static func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1e6
    }
}
