import IrisLog

/// The state a replica MUST persist durably before sending any message that
/// depends on it: its current term and the candidate it voted for in that term.
public struct HardState: Hashable, Sendable, CustomStringConvertible {
    public var term: Term
    public var votedFor: NodeID?

    public init(term: Term = Term(0), votedFor: NodeID? = nil) {
        self.term = term
        self.votedFor = votedFor
    }

    public var description: String { "(\(term), vote: \(votedFor.map { "\($0)" } ?? "-"))" }
}
