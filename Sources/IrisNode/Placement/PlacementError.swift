/// Why a placement cannot be computed: a configuration the operator gave; SPEC.md §10.
public enum PlacementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The cluster lists no node.
    case noNodes
    /// A node ID appears more than once in the cluster.
    case duplicateNode(UInt64)
    /// The partition count is outside 1 ... `Placement.partitionCountMax`.
    case partitionCountOutOfRange(Int)
    /// The replica count is not 1, 3 or 5.
    case replicaCountUnsupported(Int)
    /// More replicas per partition than nodes to hold them.
    case replicaCountExceedsNodes(replicas: Int, nodes: Int)

    /// One sentence saying what is wrong and what to change.
    public var description: String {
        switch self {
        case .noNodes:
            "the cluster lists no node; give at least one in --cluster"
        case .duplicateNode(let node):
            "node \(node) appears more than once in the cluster; give each node once in --cluster"
        case .partitionCountOutOfRange(let count):
            "\(count) partitions is outside 1...\(Placement.partitionCountMax); choose --partitions in that range"
        case .replicaCountUnsupported(let count):
            "\(count) replicas per partition is not supported; choose --replicas 1, 3 or 5"
        case .replicaCountExceedsNodes(let replicas, let nodes):
            "\(replicas) replicas per partition need at least \(replicas) nodes, the cluster has \(nodes); lower --replicas or add nodes"
        }
    }
}
