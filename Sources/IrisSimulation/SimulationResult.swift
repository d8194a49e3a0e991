import IrisLog
/// Outcome of one seeded run.
public struct SimulationResult: Sendable {
    public let seed: UInt64
    public let replicaCount: Int
    /// The first invariant violation, if any (the run stops there).
    public let violation: Violation?
    /// The last trace lines before the violation (empty if none).
    public let trace: [String]
    public let statistics: SimulationStatistics
}
