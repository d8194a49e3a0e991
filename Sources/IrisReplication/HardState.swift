import IrisLog

/// The state a replica MUST persist durably before sending any message that
/// depends on it: its current term and the candidate it voted for in that term.
public struct HardState: Hashable, Sendable, CustomStringConvertible {
    /// The latest term the replica has seen.
    public var term: Term
    /// The candidate the replica voted for in `term`; nil when it has not voted in it.
    public var votedFor: NodeID?

    /// A hard state; the defaults are a new replica's (term 0, no vote).
    public init(term: Term = Term(0), votedFor: NodeID? = nil) {
        self.term = term
        self.votedFor = votedFor
    }

    /// The term and the vote (`-` for none), as in traces: `(4, vote: n2)`.
    public var description: String { "(\(term), vote: \(votedFor.map { "\($0)" } ?? "-"))" }
}
