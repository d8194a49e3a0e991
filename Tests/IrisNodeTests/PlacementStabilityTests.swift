import IrisReplication
import Testing
@testable import IrisNode

/// SPEC.md §10.4 (stability): a placement with one node more differs only where rendezvous
/// hashing must differ.
struct PlacementStabilityTests {
    /// Adding node N+1 to nodes 1...N (and, read backwards, removing it) for N up to 49.
    @Test(arguments: [1, 3, 5])
    func addingOrRemovingANodeMovesOnlyItsOwnReplicas(replicaCount: Int) throws {
        var worstMovedRatio = 0.0, leaderMoves = 0, partitions = 0
        for partitionCount in [64, 4_096] {
            var smaller = try Placement(nodes: (1...UInt64(replicaCount)).map { NodeID($0) }, partitionCount: partitionCount, replicaCount: replicaCount)
            for nodeCount in replicaCount..<50 {
                let node = NodeID(UInt64(nodeCount + 1))
                let larger = try Placement(nodes: smaller.nodes + [node], partitionCount: partitionCount, replicaCount: replicaCount)
                let moves = checkOneNodeDifference(smaller: smaller, larger: larger, node: node)
                if partitionCount == 4_096 {
                    worstMovedRatio = max(worstMovedRatio, Double(moves.replicas) / (Double(replicaCount * partitionCount) / Double(nodeCount + 1)))
                    leaderMoves += moves.leaders
                    partitions += partitionCount
                }
                smaller = larger
            }
        }
        print("stability R=\(replicaCount): replicas moved per node added ≤ \(rounded(worstMovedRatio)) × R·P/(N+1); preferred leaders changed: \(leaderMoves) of \(partitions) (P=4096, N=R...49)")
    }
}

/// Checks that `larger` (the nodes of `smaller` and `node`) keeps every partition of
/// `smaller` that `node` does not join, replica for replica in the same order, and that a
/// partition `node` joins loses exactly its last-ranked replica; returns the replicas moved
/// (= replicas on `node`) and the partitions whose preferred leader changed.
@discardableResult
func checkOneNodeDifference(smaller: Placement, larger: Placement, node: NodeID,
                            sourceLocation: SourceLocation = #_sourceLocation) -> (replicas: Int, leaders: Int) {
    var moved = 0, leaders = 0
    for index in 0..<smaller.partitionCount {
        let partition = PartitionID(UInt32(index))
        let before = smaller.replicas(of: partition), after = larger.replicas(of: partition)
        if after.contains(node) {
            moved += 1
            #expect(Array(after.filter { $0 != node }) == Array(before.dropLast()), "\(partition): \(before) -> \(after)", sourceLocation: sourceLocation)
        } else {
            #expect(after == before, "\(partition): \(before) -> \(after) without \(node)", sourceLocation: sourceLocation)
        }
        if smaller.preferredLeader(of: partition) != larger.preferredLeader(of: partition) { leaders += 1 }
    }
    #expect(moved == larger.replicaCount(on: node), sourceLocation: sourceLocation)
    return (moved, leaders)
}
