import IrisLog

/// Follower to leader: outcome of an `AppendRequest`.
public struct AppendResponse: Hashable, Sendable {
    /// The responder's current term.
    public var term: Term
    /// True if the prefix matched. A success is only sent once the frames through
    /// `matchOffset` are durable (fsynced) on the responder.
    public var success: Bool
    /// On success: the responder durably holds the leader's log through this offset.
    /// On rejection: `LogEnd.zero`.
    public var matchOffset: LogEnd
    /// On rejection: the request's `prevLogOffset` (lets the leader drop stale rejections).
    public var rejectedPrevLogOffset: LogEnd
    /// On rejection: the largest offset <= min(prevLogOffset, responder's last offset)
    /// whose term is <= the request's `prevLogTerm`; the leader can skip back to it.
    public var hintOffset: LogEnd
    /// On rejection: the responder's term at `hintOffset`.
    public var hintTerm: Term

    /// A response; the rejection fields default to zero, as a success sends them.
    public init(
        term: Term, success: Bool, matchOffset: LogEnd,
        rejectedPrevLogOffset: LogEnd = LogEnd(0), hintOffset: LogEnd = LogEnd(0), hintTerm: Term = Term(0)
    ) {
        self.term = term
        self.success = success
        self.matchOffset = matchOffset
        self.rejectedPrevLogOffset = rejectedPrevLogOffset
        self.hintOffset = hintOffset
        self.hintTerm = hintTerm
    }
}
