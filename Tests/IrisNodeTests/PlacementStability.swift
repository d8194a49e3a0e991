import IrisReplication
import Testing
@testable import IrisNode

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
