/// What a decoding node expects of every frame it receives (SPEC.md §9.5.6): its cluster, its
/// own ID, and the cluster's members, so that a frame from another cluster, from a node that is
/// not a member, or for another node is refused before any message in it is decoded.
public struct PeerWireReceiver: Hashable, Sendable {
    /// The receiving node's cluster.
    public var clusterID: ClusterID
    /// The receiving node.
    public var nodeID: NodeID
    /// Every node of the cluster, the receiving node included.
    public var members: Set<NodeID>

    /// The receiver `nodeID` in cluster `clusterID` whose nodes are `members`.
    public init(clusterID: ClusterID, nodeID: NodeID, members: Set<NodeID>) {
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.members = members
    }
}
