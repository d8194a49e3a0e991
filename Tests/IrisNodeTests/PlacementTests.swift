import IrisLog
import IrisReplication
import Testing
@testable import IrisNode

/// SPEC.md §10: validation, the pinned hash, determinism, and the placement invariants.
struct PlacementTests {
    @Test func invalidConfigurationsAreTypedErrors() {
        let three = (1...3).map { NodeID($0) }
        #expect(throws: PlacementError.noNodes) { try Placement(nodes: [], partitionCount: 1, replicaCount: 1) }
        #expect(throws: PlacementError.duplicateNode(2)) {
            try Placement(nodes: [NodeID(2), NodeID(1), NodeID(2)], partitionCount: 1, replicaCount: 1)
        }
        #expect(throws: PlacementError.partitionCountOutOfRange(0)) { try Placement(nodes: three, partitionCount: 0, replicaCount: 3) }
        #expect(throws: PlacementError.partitionCountOutOfRange(65_537)) {
            try Placement(nodes: three, partitionCount: 65_537, replicaCount: 3)
        }
        #expect(throws: PlacementError.replicaCountUnsupported(2)) { try Placement(nodes: three, partitionCount: 8, replicaCount: 2) }
        #expect(throws: PlacementError.replicaCountUnsupported(0)) { try Placement(nodes: three, partitionCount: 8, replicaCount: 0) }
        #expect(throws: PlacementError.replicaCountExceedsNodes(replicas: 5, nodes: 3)) {
            try Placement(nodes: three, partitionCount: 8, replicaCount: 5)
        }
        #expect(PlacementError.replicaCountExceedsNodes(replicas: 5, nodes: 3).description.contains("--replicas"))
        #expect(PlacementError.partitionCountOutOfRange(0).description.contains("--partitions"))
    }

    /// Values computed by an independent Python implementation of SPEC.md §10.1.
    @Test func rendezvousWeightsArePinned() {
        let cases: [(UInt32, UInt64, UInt64)] = [
            (0, 1, 0xEF75_0FDA_1554_3AF0), (0, 2, 0x0B4A_5F67_209D_EEE7), (1, 1, 0x7DDE_57C9_AE01_6422),
            (7, 3, 0xA952_0266_DA92_1D89), (4095, 50, 0x4859_CCCE_36CC_0E72), (65535, .max, 0xD389_C976_C1CA_3EFA),
        ]
        for (partition, node, weight) in cases {
            #expect(RendezvousHash.weight(partition: PartitionID(partition), node: NodeID(node)) == weight)
        }
    }

    /// Replica lists of SPEC.md §10.2's worked example (nodes 1...5, R = 3), from the same Python code.
    @Test func replicaRankingMatchesTheWorkedExample() throws {
        let placement = try Placement(nodes: (1...5).map { NodeID($0) }, partitionCount: 8, replicaCount: 3)
        let expected: [[UInt64]] = [[5, 1, 4], [5, 1, 4], [3, 2, 5], [1, 3, 4], [5, 4, 3], [3, 1, 2], [5, 3, 4], [2, 3, 1]]
        for (partition, replicas) in expected.enumerated() {
            #expect(placement.replicas(of: PartitionID(UInt32(partition))) == replicas.map { NodeID($0) })
        }
    }

    /// Preferred leaders from an independent Python implementation of SPEC.md §10.3 (written
    /// from the text: `Tools/spec-reader/iris_placement.py`): the full list for a small cluster, a digest (fold of `mix(h ^ leader)`
    /// from 0) for larger ones. Prints the spread figures of each for the record.
    @Test func preferredLeadersMatchTheReferenceImplementation() throws {
        let small = try Placement(nodes: (1...5).map { NodeID($0) }, partitionCount: 8, replicaCount: 3)
        #expect((0..<8).map { small.preferredLeader(of: PartitionID(UInt32($0))).rawValue } == [1, 5, 3, 1, 5, 3, 4, 2])
        let cases: [([UInt64], Int, Int, UInt64)] = [
            (Array(1...7), 100, 3, 0x2421_7AB9_AC06_117C),
            ((1...12).map { $0 * 10 }, 1_000, 5, 0xD285_C6B7_1001_D898),
            (Array(1...50), 4_096, 3, 0xAF34_5D7A_4FA5_C067),
        ]
        for (ids, partitionCount, replicaCount, digest) in cases {
            let placement = try Placement(nodes: ids.map { NodeID($0) }, partitionCount: partitionCount, replicaCount: replicaCount)
            let leaders = (0..<partitionCount).map { placement.preferredLeader(of: PartitionID(UInt32($0))).rawValue }
            #expect(leaders.reduce(UInt64(0)) { RendezvousHash.mix($0 ^ $1) } == digest, "N=\(ids.count) P=\(partitionCount) R=\(replicaCount)")
            let replicas = placement.nodes.map(placement.replicaCount(on:))
            let removed = placement.nodes[placement.nodes.count / 2]
            let without = try Placement(nodes: placement.nodes.filter { $0 != removed }, partitionCount: partitionCount, replicaCount: replicaCount)
            let moves = checkOneNodeDifference(smaller: without, larger: placement, node: removed)
            print("N=\(ids.count) P=\(partitionCount) R=\(replicaCount): replicas per node \(replicas.min()!)...\(replicas.max()!) (R·P/N = \(rounded(Double(replicaCount * partitionCount) / Double(ids.count)))), leaders per node max \(placement.leadersPerNodeMax) (⌈P/N⌉ = \((partitionCount + ids.count - 1) / ids.count)), removing \(removed) moves \(moves.replicas) replicas and \(moves.leaders) preferred leaders")
        }
    }

    @Test func nodeOrderDoesNotMatter() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20 {
            let nodes = (0..<Int.random(in: 5...30, using: &generator)).map { _ in NodeID(generator.next()) }
            let sorted = try Placement(nodes: nodes.sorted(), partitionCount: 500, replicaCount: 5)
            let shuffled = try Placement(nodes: nodes.shuffled(using: &generator), partitionCount: 500, replicaCount: 5)
            #expect(sorted == shuffled)
        }
    }

    /// Leader balancing finds the smallest possible maximum: compared with every assignment
    /// of leaders on small clusters.
    @Test func leadersPerNodeMaxIsTheOptimum() throws {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<60 {
            let nodeCount = Int.random(in: 3...6, using: &generator)
            let partitionCount = Int.random(in: 1...9, using: &generator)
            let nodes = (0..<nodeCount).map { _ in NodeID(generator.next()) }
            let placement = try Placement(nodes: nodes, partitionCount: partitionCount, replicaCount: 3)
            #expect(placement.leadersPerNodeMax == bruteForceLeaderMax(placement))
        }
    }

    /// Every (N, R, P) of the grid: N = 1...50, R in {1, 3, 5} with R <= N, P from 1 to
    /// 4,096: the invariants of each placement, and stability from N to N + 1 nodes (adding
    /// node N + 1 or, read backwards, removing it).
    @Test(arguments: [1, 3, 5])
    func invariantsAndStabilityHoldForEveryClusterSizeUpTo50(replicaCount: Int) throws {
        var report = SpreadReport()
        var worstMovedRatio = 0.0, leaderMoves = 0, partitions = 0
        for partitionCount in [1, 2, 7, 64, 1_000, 4_096] {
            var previous: Placement?
            for nodeCount in replicaCount...50 {
                let placement = try Placement(nodes: (1...UInt64(nodeCount)).map { NodeID($0) }, partitionCount: partitionCount, replicaCount: replicaCount)
                report.add(try checkInvariants(placement), partitionCount: partitionCount, nodeCount: nodeCount, replicaCount: replicaCount)
                if let previous {
                    let moves = checkOneNodeDifference(smaller: previous, larger: placement, node: NodeID(UInt64(nodeCount)))
                    if partitionCount == 4_096 {
                        worstMovedRatio = max(worstMovedRatio, Double(moves.replicas) / (Double(replicaCount * partitionCount) / Double(nodeCount)))
                        leaderMoves += moves.leaders
                        partitions += partitionCount
                    }
                }
                previous = placement
            }
        }
        print("placement R=\(replicaCount): \(report)")
        print("stability R=\(replicaCount): replicas moved per node added ≤ \(rounded(worstMovedRatio)) × R·P/(N+1); preferred leaders changed: \(leaderMoves) of \(partitions) (P=4096, N=R...49)")
    }
}

/// The smallest maximum of leaders per node over every choice of leaders (R^P choices).
func bruteForceLeaderMax(_ placement: Placement) -> Int {
    let partitions = (0..<placement.partitionCount).map { placement.replicas(of: PartitionID(UInt32($0))) }
    var counts: [NodeID: Int] = [:]
    func search(_ index: Int, _ currentMax: Int) -> Int {
        if index == partitions.count { return currentMax }
        var best = Int.max
        for node in partitions[index] {
            counts[node, default: 0] += 1
            best = min(best, search(index + 1, max(currentMax, counts[node]!)))
            counts[node]! -= 1
        }
        return best
    }
    return search(0, 0)
}
