import IrisLog
import IrisReplication

/// What one simulated run looks like. Everything random is drawn from `seed`.
public struct SimulationOptions: Sendable {
    /// Replicas in the simulated cluster: 3 or 5.
    public var replicaCount: Int
    /// The seed every random choice of the run derives from.
    public var seed: UInt64
    /// TEST-ONLY bugs planted into every replica's core.
    package var plantedBugs: PlantedBugs = []
    /// Simulated time during which faults are injected.
    public var chaosDurationMilliseconds = 3_000
    /// After healing, an append MUST commit within this simulated time.
    public var healToCommitBoundMilliseconds = 3_000
    /// Concurrent clients, each with one outstanding append.
    public var clientCount = 3
    /// Client gives up (outcome unknown) after this long.
    public var clientTimeoutMilliseconds = 300
    /// TEST-ONLY shell bug: report the log durable without calling `Log.sync()`, so the
    /// checker must notice acknowledged data that a power loss took away.
    public var skipLogSync = false
    /// Whether sends are checked against durable state (persist-before-send).
    public var checkDurabilityOrder = true
    /// Trace lines kept for replay output.
    public var traceLinesMax = 200
    /// Nominal tick length.
    public var tickMicroseconds: Int64 = 10_000

    /// A run of `replicaCount` replicas (3 or 5) from `seed`, with the defaults above.
    public init(replicaCount: Int, seed: UInt64) {
        self.replicaCount = replicaCount
        self.seed = seed
    }

    /// TEST-ONLY: a run with planted bugs.
    package init(replicaCount: Int, seed: UInt64, plantedBugs: PlantedBugs) {
        self.init(replicaCount: replicaCount, seed: seed)
        self.plantedBugs = plantedBugs
    }
}
