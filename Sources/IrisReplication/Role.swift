import IrisLog

/// What a replica currently does in the election protocol.
public enum Role: Sendable, Hashable {
    /// Accepts entries from a leader; campaigns after an election timeout.
    case follower
    /// Probing with PreVote whether it could win, without changing its term.
    case preCandidate
    /// Requesting votes in a new, durably persisted term.
    case candidate
    /// Accepts client appends and replicates them.
    case leader
}
