import Foundation
import IrisClient

/// N `irisd` processes on loopback: node i (1-based) on 127.0.0.(10+i), each with a fresh data
/// directory under a temporary root and metrics on the same host. `stop()` stops every node by
/// PID and removes the root.
final class LocalCluster {
    /// The nodes, by ID order.
    let daemons: [DaemonProcess]
    /// The temporary directory holding every node's data and log.
    let root: String
    /// Partitions of the cluster.
    let partitions: Int

    /// Client addresses of every node, "host:port".
    var endpoints: [String] { daemons.map(\.address) }

    /// Starts `nodes` irisd processes from `irisd` with `partitions` partitions of `replicas`
    /// replicas, data under a new directory in `parent`. `port` is every node's client port,
    /// `port + 1` its metrics port (each node has its own loopback address).
    static func start(irisd: String, nodes: Int, partitions: Int, replicas: Int, parent: String, port: Int)
        throws(ClusterBenchError) -> LocalCluster
    {
        let root = parent + "/iris-cluster-bench-\(getpid())-\(port)"
        do {
            try? FileManager.default.removeItem(atPath: root)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch { throw .io("cannot create \(root): \(error)") }
        let hosts = (1...nodes).map { "127.0.0.\(10 + $0)" }
        let members = hosts.enumerated().map { "\($0.offset + 1)=\($0.element):\(port)" }.joined(separator: ",")
        var daemons: [DaemonProcess] = []
        for (index, host) in hosts.enumerated() {
            let id = index + 1
            let arguments = [
                "--data", "\(root)/node\(id)", "--id", String(id), "--cluster", members,
                "--partitions", String(partitions), "--replicas", String(replicas), "--metrics", "\(host):\(port + 1)",
            ]
            do {
                daemons.append(try DaemonProcess(
                    executable: irisd, arguments: arguments, nodeID: id, address: "\(host):\(port)",
                    metricsAddress: "\(host):\(port + 1)", logPath: "\(root)/node\(id).log"))
            } catch {
                for daemon in daemons { daemon.stop() }
                try? FileManager.default.removeItem(atPath: root)
                throw error
            }
        }
        return LocalCluster(daemons: daemons, root: root, partitions: partitions)
    }

    private init(daemons: [DaemonProcess], root: String, partitions: Int) {
        self.daemons = daemons
        self.root = root
        self.partitions = partitions
    }

    /// Waits until every node reports a leader for every partition (polled every 100 ms, at
    /// most `timeout`).
    /// - Throws: `.clusterNotReady` when a node exits or leaders are missing at the deadline.
    func waitForLeaders(timeout: Duration) async throws(ClusterBenchError) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let client: IrisClient
        do { client = try IrisClient(endpoints: endpoints) } catch { throw .clusterNotReady("\(error)") }
        var problem: String? = "no status yet"
        while clock.now < deadline, problem != nil {
            if let exited = daemons.first(where: { !$0.isRunning }) {
                problem = "node \(exited.nodeID) exited; its log ends with:\n\(exited.logTail())"
                break
            }
            problem = await leaderless(client)
            if problem != nil { try? await Task.sleep(for: .milliseconds(100)) }
        }
        await client.close()
        if let problem { throw .clusterNotReady(problem) }
    }

    /// What is still missing (nil when every node knows a leader for every partition).
    private func leaderless(_ client: IrisClient) async -> String? {
        for daemon in daemons {
            do {
                let status = try await client.status(of: daemon.address)
                let without = status.partitions.filter { $0.leaderNodeID == nil }.map(\.partition)
                if status.partitions.count != partitions || !without.isEmpty {
                    return "node \(daemon.nodeID) sees no leader for partitions \(without.prefix(8)) of \(status.partitions.count)"
                }
            } catch {
                return "node \(daemon.nodeID): \(error)"
            }
        }
        return nil
    }

    /// CPU seconds used so far by every node together.
    var cpuSeconds: Double { daemons.reduce(0) { $0 + $1.cpuSeconds } }

    /// Stops every node (by PID) and removes the data.
    func stop() {
        for daemon in daemons { daemon.stop() }
        try? FileManager.default.removeItem(atPath: root)
    }
}
