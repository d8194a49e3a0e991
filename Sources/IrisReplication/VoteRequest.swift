import IrisLog

/// Asks for a (pre-)vote. Sent by a pre-candidate (`isPreVote == true`) or a candidate.
public struct VoteRequest: Hashable, Sendable {
    /// True for a PreVote probe: the receiver MUST NOT change its term or vote.
    public var isPreVote: Bool
    /// The term the sender campaigns for. For a PreVote this is the sender's
    /// current term + 1, which the sender has NOT adopted.
    public var term: Term
    /// LogEnd of the last entry in the sender's log (`LogEnd.zero` if empty).
    public var lastLogOffset: LogEnd
    /// Term of that entry (`Term.zero` if the log is empty).
    public var lastLogTerm: Term

    /// A request with every field given; the receiving core checks it (`MessageDefect`).
    public init(isPreVote: Bool, term: Term, lastLogOffset: LogEnd, lastLogTerm: Term) {
        self.isPreVote = isPreVote
        self.term = term
        self.lastLogOffset = lastLogOffset
        self.lastLogTerm = lastLogTerm
    }
}
