import IrisLog
/// Outcome of one seeded run.
public struct SimulationResult: Sendable {
    /// The seed the run used; running it again replays the run exactly.
    public let seed: UInt64
    /// Replicas in the simulated cluster (3 or 5).
    public let replicaCount: Int
    /// The first invariant violation, if any (the run stops there).
    public let violation: Violation?
    /// The last trace lines before the violation (empty if none).
    public let trace: [String]
    /// The run's counters.
    public let statistics: SimulationStatistics
}
