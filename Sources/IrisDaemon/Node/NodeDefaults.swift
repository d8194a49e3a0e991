import IrisLog
import IrisNode
import NIOCore

/// What a node uses where its command line says nothing.
package enum NodeDefaults {
    /// Event loops of a node: its client, peer and MQTT connections, and partition K's loop on
    /// loop K mod this count.
    package static var eventLoops: Int { max(1, min(4, System.coreCount)) }

    /// Partitions of a new cluster of several nodes started without `--partitions`: the same
    /// on every node, whatever its cores.
    package static let clusterPartitions = 8

    /// Partitions of a new single node (a cluster of one) started without `--partitions`: one
    /// per event loop.
    /// Each partition's log syncs on its own, so partitions beyond the loops split every group
    /// commit further without adding parallelism (measured on 2 cores, MQTT QoS 1 pairs: 8
    /// partitions against 2 made 0.82 against 0.27 fdatasyncs and 307-378 against 166-189 µs of
    /// CPU per message at 16 pairs; BENCHMARKS.md).
    package static var singleNodePartitions: Int { eventLoops }

    /// The partition count `dataDirectory` was created with; nil when it has no cluster
    /// identity yet, or one that can not be read (opening the node then says why).
    package static func storedPartitionCount(dataDirectory: String) -> Int? {
        guard let stored = try? ClusterIdentityFile.load(path: dataDirectory + "/cluster", storage: PosixStorage()) else {
            return nil
        }
        return stored.partitionCount
    }
}
