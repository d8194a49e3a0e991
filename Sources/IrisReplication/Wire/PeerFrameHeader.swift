/// The addressing part of every peer frame (SPEC.md §9.5.6): which cluster it belongs to, which
/// node sent it and which node it is for. Every message a frame carries is from `from` to `to`.
public struct PeerFrameHeader: Hashable, Sendable {
    /// The cluster of both nodes; a receiver refuses a frame of another cluster.
    public var clusterID: ClusterID
    /// The sending node.
    public var from: NodeID
    /// The receiving node.
    public var to: NodeID

    /// The header of a frame of cluster `clusterID` from node `from` to node `to`.
    public init(clusterID: ClusterID, from: NodeID, to: NodeID) {
        self.clusterID = clusterID
        self.from = from
        self.to = to
    }
}
