import IrisLog
import IrisReplication
import Testing
@testable import IrisNode

/// What one placement measured against its bounds.
struct PlacementStats {
    /// Largest |replicas on a node - R·P/N| in standard deviations of the binomial spread.
    var replicaDeviationSigmas: Double
    /// Largest replicas on a node divided by R·P/N.
    var replicaMaxRatio: Double
    /// Smallest replicas on a node divided by R·P/N.
    var replicaMinRatio: Double
    /// leadersPerNodeMax - ⌈P/N⌉.
    var leadersAboveCeiling: Int
}

/// The largest deviation in standard deviations the tests accept (SPEC.md §10.4).
let replicaDeviationSigmasMax = 5.0

/// Checks SPEC.md §10.4's invariants of one placement; returns what it measured.
@discardableResult
func checkInvariants(_ placement: Placement, sourceLocation: SourceLocation = #_sourceLocation) throws -> PlacementStats {
    let n = placement.nodes.count, p = placement.partitionCount, r = placement.replicaCount
    var replicaTotals: [NodeID: Int] = [:]
    var leaderTotals: [NodeID: Int] = [:]
    let members = Set(placement.nodes)
    for index in 0..<p {
        let partition = PartitionID(UInt32(index))
        let replicas = placement.replicas(of: partition)
        #expect(replicas.count == r && Set(replicas).count == r, "\(partition): replicas \(replicas)", sourceLocation: sourceLocation)
        #expect(replicas.allSatisfy(members.contains), sourceLocation: sourceLocation)
        let leader = placement.preferredLeader(of: partition)
        #expect(replicas.contains(leader), "\(partition): leader \(leader) not a replica", sourceLocation: sourceLocation)
        for node in replicas { replicaTotals[node, default: 0] += 1 }
        leaderTotals[leader, default: 0] += 1
    }
    let ceiling = (p + n - 1) / n
    let mean = Double(r * p) / Double(n)
    let sigma = (Double(p) * Double(r) / Double(n) * (1 - Double(r) / Double(n))).squareRoot()
    var deviation = 0.0, maxRatio = 0.0, minRatio = Double.infinity
    for node in placement.nodes {
        let replicas = replicaTotals[node, default: 0]
        #expect(placement.replicaCount(on: node) == replicas, sourceLocation: sourceLocation)
        #expect(placement.leaderCount(on: node) == leaderTotals[node, default: 0], sourceLocation: sourceLocation)
        #expect(Double(replicas) <= mean + replicaDeviationSigmasMax * sigma + 1, "N=\(n) P=\(p) R=\(r): \(node) holds \(replicas), mean \(mean)", sourceLocation: sourceLocation)
        #expect(Double(replicas) >= mean - replicaDeviationSigmasMax * sigma - 1, "N=\(n) P=\(p) R=\(r): \(node) holds \(replicas), mean \(mean)", sourceLocation: sourceLocation)
        if sigma > 0 { deviation = max(deviation, abs(Double(replicas) - mean) / sigma) }
        maxRatio = max(maxRatio, Double(replicas) / mean)
        minRatio = min(minRatio, Double(replicas) / mean)
    }
    #expect(placement.leadersPerNodeMax == leaderTotals.values.max(), sourceLocation: sourceLocation)
    if r > 1 || n == 1 {
        #expect(placement.leadersPerNodeMax <= ceiling + 1, "N=\(n) P=\(p) R=\(r): \(placement.leadersPerNodeMax) leaders on a node, ⌈P/N⌉ = \(ceiling)", sourceLocation: sourceLocation)
    } else {
        // R = 1: the only replica leads, so leaders follow the replica spread (checked above).
        #expect(placement.leadersPerNodeMax == replicaTotals.values.max(), sourceLocation: sourceLocation)
    }
    #expect(placement.leadersPerNodeMax >= ceiling, sourceLocation: sourceLocation)
    return PlacementStats(replicaDeviationSigmas: deviation, replicaMaxRatio: maxRatio, replicaMinRatio: minRatio, leadersAboveCeiling: placement.leadersPerNodeMax - ceiling)
}

/// Worst cases over many placements, printed for the record.
struct SpreadReport: CustomStringConvertible {
    var placements = 0
    var worstSigmas = 0.0
    /// Replicas per node / (R·P/N), extremes over the placements with P = 4,096 and N > R.
    var largeMaxRatio = 0.0
    var largeMinRatio = Double.infinity
    var leadersAboveCeiling: [Int: Int] = [:]

    mutating func add(_ stats: PlacementStats, partitionCount: Int, nodeCount: Int, replicaCount: Int) {
        placements += 1
        worstSigmas = max(worstSigmas, stats.replicaDeviationSigmas)
        if partitionCount == 4_096 && nodeCount > replicaCount {
            largeMaxRatio = max(largeMaxRatio, stats.replicaMaxRatio)
            largeMinRatio = min(largeMinRatio, stats.replicaMinRatio)
        }
        leadersAboveCeiling[stats.leadersAboveCeiling, default: 0] += 1
    }

    var description: String {
        let histogram = leadersAboveCeiling.sorted { $0.key < $1.key }.map { "+\($0.key): \($0.value)" }.joined(separator: ", ")
        return "\(placements) placements, worst replica deviation \(rounded(worstSigmas))σ, "
            + "replicas per node at P=4096 within [\(rounded(largeMinRatio)), \(rounded(largeMaxRatio))] × R·P/N, "
            + "placements by leadersPerNodeMax - ⌈P/N⌉: [\(histogram)]"
    }
}

func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
