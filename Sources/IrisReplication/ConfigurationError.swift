import IrisLog

/// Why a `ReplicaConfiguration` was rejected.
public enum ConfigurationError: Error, Sendable, Hashable {
    /// Membership must be 1, 3 or 5 replicas.
    case unsupportedMemberCount(Int)
    /// A member appears more than once.
    case duplicateMember(NodeID)
    /// `nodeID` is not one of `members`.
    case nodeNotMember(NodeID)
    /// The named setting must be at least `minimum`.
    case valueTooSmall(setting: String, value: Int, minimum: Int)
    /// `electionTimeoutTicksMax` must exceed `electionTimeoutTicksMin` so timeouts can be randomized.
    case electionTimeoutRangeEmpty(min: Int, max: Int)
    /// Heartbeats must be more frequent than the shortest election timeout.
    case heartbeatNotShorterThanElectionTimeout(heartbeatIntervalTicks: Int, electionTimeoutTicksMin: Int)
    /// One maximal frame must fit in one message, and one message in the in-flight byte budget.
    case budgetsInconsistent(frameBytesMax: Int, messageBytesMax: Int, inflightBytesMax: Int)
}
