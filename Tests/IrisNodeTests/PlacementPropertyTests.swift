import IrisReplication
import PropertyBased
import Testing
@testable import IrisNode

/// SPEC.md §10 on random clusters: arbitrary 64-bit node IDs, any N up to 50, P up to 4,096.
struct PlacementPropertyTests {
    @Test func randomClustersKeepEveryInvariant() async {
        await propertyCheck(
            count: 40,
            input: Gen.uint64().array(of: 1...50), Gen.int(in: 0...2), Gen.int(in: 1...4_096), Gen.int(in: 0...49), Gen.uint64()
        ) { ids, replicaChoice, partitionCount, removedChoice, newID in
            let nodes = Array(Set(ids.map { NodeID($0) }))
            let replicaCount = [1, 3, 5][replicaChoice]
            guard replicaCount <= nodes.count else {
                #expect(throws: PlacementError.replicaCountExceedsNodes(replicas: replicaCount, nodes: nodes.count)) {
                    try Placement(nodes: nodes, partitionCount: partitionCount, replicaCount: replicaCount)
                }
                return
            }
            let placement = try Placement(nodes: nodes, partitionCount: partitionCount, replicaCount: replicaCount)
            try checkInvariants(placement)
            #expect(try Placement(nodes: nodes.reversed(), partitionCount: partitionCount, replicaCount: replicaCount) == placement)

            // Removing any one node (the cluster keeps at least R nodes).
            let removed = nodes.sorted()[removedChoice % nodes.count]
            if nodes.count > replicaCount {
                let without = try Placement(nodes: nodes.filter { $0 != removed }, partitionCount: partitionCount, replicaCount: replicaCount)
                checkOneNodeDifference(smaller: without, larger: placement, node: removed)
            }
            // Adding a node with any ID.
            let added = NodeID(newID)
            if !nodes.contains(added) {
                let with = try Placement(nodes: nodes + [added], partitionCount: partitionCount, replicaCount: replicaCount)
                checkOneNodeDifference(smaller: placement, larger: with, node: added)
            }
        }
    }
}
