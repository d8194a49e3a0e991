import IrisLog

/// A node of the cluster and its client address.
public struct NodeAddress: Sendable, Hashable {
    /// The node's ID.
    public var nodeID: UInt64
    /// The node's client address, "host:port".
    public var address: String

    /// Node `nodeID` at `address`.
    public init(nodeID: UInt64, address: String) {
        self.nodeID = nodeID
        self.address = address
    }
}

/// One partition as a node sees it.
public struct PartitionStatus: Sendable, Hashable {
    /// The partition, 0 ..< P.
    public var partition: UInt32
    /// The leader the node knows of; nil when unknown.
    public var leaderNodeID: UInt64?
    /// The leader's client address; empty when unknown.
    public var leaderAddress: String
    /// The highest term the node has seen for the partition.
    public var term: Term
    /// The commit offset (exclusive): records at offsets below it are committed.
    public var commitEnd: LogEnd
    /// The nodes holding a replica, in placement order.
    public var replicas: [UInt64]

    /// A partition's status with every field given.
    public init(partition: UInt32, leaderNodeID: UInt64?, leaderAddress: String, term: Term, commitEnd: LogEnd, replicas: [UInt64]) {
        self.partition = partition
        self.leaderNodeID = leaderNodeID
        self.leaderAddress = leaderAddress
        self.term = term
        self.commitEnd = commitEnd
        self.replicas = replicas
    }
}

/// The STATUS answer: the cluster's nodes and every partition as the answering node sees them.
public struct ClusterStatus: Sendable, Hashable {
    /// The answering node's ID.
    public var nodeID: UInt64
    /// Every node of the cluster.
    public var nodes: [NodeAddress]
    /// Every partition, by partition number.
    public var partitions: [PartitionStatus]

    /// A status answered by `nodeID`.
    public init(nodeID: UInt64, nodes: [NodeAddress], partitions: [PartitionStatus]) {
        self.nodeID = nodeID
        self.nodes = nodes
        self.partitions = partitions
    }
}
