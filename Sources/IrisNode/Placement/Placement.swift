import IrisReplication

/// Where every partition of a cluster lives: its R replicas, chosen by rendezvous hashing,
/// and its preferred leader, chosen so that leaderships are spread evenly; SPEC.md §10.
///
/// A pure value: the same nodes (in any order), partition count and replica count give the
/// same placement on every machine and in every run. Adding or removing one node moves only
/// the replicas rendezvous hashing must move: one replica of each partition the new node
/// joins, or of each partition the removed node held.
public struct Placement: Sendable, Equatable {
    /// The largest partition count a cluster may have.
    public static let partitionCountMax = 65_536
    /// The replica counts a cluster may have.
    public static let supportedReplicaCounts = [1, 3, 5]

    /// The cluster's nodes, in ascending ID order.
    public let nodes: [NodeID]
    /// P: the number of partitions, numbered 0 ..< P.
    public let partitionCount: Int
    /// R: the number of replicas of every partition.
    public let replicaCount: Int
    /// The most preferred leaderships any node holds. It is the smallest maximum any choice of
    /// leaders among the replicas allows, so never below ⌈P/N⌉.
    public let leadersPerNodeMax: Int

    /// Node indices (into `nodes`) of partition p's replicas at [p·R, p·R + R), highest weight first.
    private let replicaIndices: [Int32]
    /// Node index of each partition's preferred leader.
    private let leaderIndices: [Int32]
    private let replicaCounts: [Int]
    private let leaderCounts: [Int]
    private let indexOfNode: [NodeID: Int]

    /// Computes the placement.
    ///
    /// - Parameters:
    ///   - nodes: the cluster's node IDs, in any order, each once; at least one.
    ///   - partitionCount: P, 1 ... `partitionCountMax`.
    ///   - replicaCount: R, 1, 3 or 5, at most the number of nodes.
    /// - Throws: `PlacementError` naming the first rule the arguments break.
    public init(nodes: some Sequence<NodeID>, partitionCount: Int, replicaCount: Int) throws(PlacementError) {
        let sorted = nodes.sorted()
        try Placement.validate(sorted, partitionCount: partitionCount, replicaCount: replicaCount)
        self.nodes = sorted
        self.partitionCount = partitionCount
        self.replicaCount = replicaCount
        replicaIndices = Placement.rankReplicas(sorted, partitionCount: partitionCount, replicaCount: replicaCount)
        let balanced = LeaderBalancer.balance(
            replicaIndices: replicaIndices, replicaCount: replicaCount, nodeCount: sorted.count)
        leaderIndices = balanced.leaderIndices
        leadersPerNodeMax = balanced.leadersPerNodeMax
        var replicaCounts = [Int](repeating: 0, count: sorted.count)
        for index in replicaIndices { replicaCounts[Int(index)] += 1 }
        var leaderCounts = [Int](repeating: 0, count: sorted.count)
        for index in leaderIndices { leaderCounts[Int(index)] += 1 }
        precondition(leaderCounts.max() == leadersPerNodeMax, "the balancer's maximum is its result's")
        self.replicaCounts = replicaCounts
        self.leaderCounts = leaderCounts
        indexOfNode = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($0.element, $0.offset) })
    }

    private static func validate(_ sorted: [NodeID], partitionCount: Int, replicaCount: Int) throws(PlacementError) {
        guard !sorted.isEmpty else { throw .noNodes }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous == next {
            throw .duplicateNode(next.rawValue)
        }
        guard (1...partitionCountMax).contains(partitionCount) else { throw .partitionCountOutOfRange(partitionCount) }
        guard supportedReplicaCounts.contains(replicaCount) else { throw .replicaCountUnsupported(replicaCount) }
        guard replicaCount <= sorted.count else { throw .replicaCountExceedsNodes(replicas: replicaCount, nodes: sorted.count) }
    }

    /// Each partition's R nodes of highest rendezvous weight, highest first (SPEC.md §10.2).
    private static func rankReplicas(_ nodes: [NodeID], partitionCount: Int, replicaCount: Int) -> [Int32] {
        let nodeKeys = nodes.map(RendezvousHash.key(of:))
        var result = [Int32](repeating: -1, count: partitionCount * replicaCount)
        var topWeights = [UInt64](repeating: 0, count: replicaCount)
        var topIndices = [Int32](repeating: -1, count: replicaCount)
        for partition in 0..<partitionCount {
            let partitionKey = RendezvousHash.key(of: PartitionID(UInt32(partition)))
            var filled = 0
            for (nodeIndex, nodeKey) in nodeKeys.enumerated() {
                let weight = RendezvousHash.combine(partitionKey: partitionKey, nodeKey: nodeKey)
                // Insertion into the descending top-R list; weights of one partition never tie.
                var slot = filled < replicaCount ? filled : replicaCount - 1
                if filled == replicaCount && weight < topWeights[slot] { continue }
                while slot > 0 && topWeights[slot - 1] < weight {
                    topWeights[slot] = topWeights[slot - 1]
                    topIndices[slot] = topIndices[slot - 1]
                    slot -= 1
                }
                topWeights[slot] = weight
                topIndices[slot] = Int32(nodeIndex)
                filled = min(filled + 1, replicaCount)
            }
            precondition(filled == replicaCount, "R <= N was validated")
            for rank in 0..<replicaCount { result[partition * replicaCount + rank] = topIndices[rank] }
        }
        return result
    }

    /// The replicas of `partition`, highest rendezvous weight first (the rank order).
    public func replicas(of partition: PartitionID) -> [NodeID] {
        let start = checkedIndex(partition) * replicaCount
        return replicaIndices[start..<start + replicaCount].map { nodes[Int($0)] }
    }

    /// The preferred leader of `partition`: one of its replicas. A node that is up and
    /// caught up SHOULD hold the leaderships it is preferred for (by leader transfer).
    public func preferredLeader(of partition: PartitionID) -> NodeID {
        nodes[Int(leaderIndices[checkedIndex(partition)])]
    }

    /// How many partitions `node` holds a replica of; 0 for a node not in the cluster.
    public func replicaCount(on node: NodeID) -> Int { indexOfNode[node].map { replicaCounts[$0] } ?? 0 }

    /// How many partitions prefer `node` as leader; 0 for a node not in the cluster.
    public func leaderCount(on node: NodeID) -> Int { indexOfNode[node].map { leaderCounts[$0] } ?? 0 }

    /// The partitions `node` holds a replica of, in ascending order; empty for a node not in the cluster.
    public func partitions(on node: NodeID) -> [PartitionID] {
        guard let index = indexOfNode[node].map(Int32.init) else { return [] }
        return (0..<partitionCount).filter { partition in
            replicaIndices[partition * replicaCount..<(partition + 1) * replicaCount].contains(index)
        }.map { PartitionID(UInt32($0)) }
    }

    private func checkedIndex(_ partition: PartitionID) -> Int {
        let index = Int(partition.rawValue)
        precondition(index < partitionCount, "\(partition) is not one of the \(partitionCount) partitions")
        return index
    }
}
