import IrisReplication

/// What a node's data directory belongs to, fixed when the directory is created: the
/// cluster, this node's ID in it, the partition count P and the replica count R; SPEC.md §11.2.
///
/// A node started with a data directory of another cluster, node, P or R refuses to start
/// (`ClusterIdentityError`): serving it would place or replicate partitions wrongly.
public struct ClusterIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The cluster.
    public var clusterID: ClusterID
    /// This node's ID in the cluster.
    public var nodeID: NodeID
    /// P, 1 ... `Placement.partitionCountMax`.
    public var partitionCount: Int
    /// R: 1, 3 or 5.
    public var replicaCount: Int

    /// An identity; `partitionCount` and `replicaCount` must be values `Placement` accepts
    /// (a precondition: validate configuration with `Placement` first).
    public init(clusterID: ClusterID, nodeID: NodeID, partitionCount: Int, replicaCount: Int) {
        precondition((1...Placement.partitionCountMax).contains(partitionCount), "partition count \(partitionCount)")
        precondition(Placement.supportedReplicaCounts.contains(replicaCount), "replica count \(replicaCount)")
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.partitionCount = partitionCount
        self.replicaCount = replicaCount
    }

    /// `cluster 00000000000000a1, node n2, 64 partitions × 3 replicas`.
    public var description: String {
        "cluster \(clusterID), node \(nodeID), \(partitionCount) partitions × \(replicaCount) replicas"
    }
}
