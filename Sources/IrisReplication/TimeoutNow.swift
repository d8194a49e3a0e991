import IrisLog

/// Leader to the follower it hands leadership to, once that follower's log matches its own:
/// start an election now, without PreVote (SPEC.md §9.13). Sent by a leader asked for
/// `Event.transferLeadership(to:)`.
public struct TimeoutNow: Hashable, Sendable {
    /// The leader's current term.
    public var term: Term

    /// A TimeoutNow in `term`.
    public init(term: Term) { self.term = term }
}
