import IrisLog

/// Answer to a `VoteRequest`.
public struct VoteResponse: Hashable, Sendable {
    /// Mirrors the request's `isPreVote`.
    public var isPreVote: Bool
    /// If granted: the requested term. If rejected: the responder's current term
    /// (so a stale requester learns the newer term).
    public var term: Term
    /// Whether the (pre-)vote is granted.
    public var granted: Bool

    /// A response with every field given.
    public init(isPreVote: Bool, term: Term, granted: Bool) {
        self.isPreVote = isPreVote
        self.term = term
        self.granted = granted
    }
}
