/// Leader to follower: entries to append after (prevLogOffset, prevLogTerm).
/// With no entries it is a heartbeat that still checks the prefix and carries commit.
public struct AppendRequest: Hashable, Sendable {
    /// The leader's current term.
    public var term: Term
    /// Offset of the entry immediately preceding `entries` (`Offset.zero` for the start).
    public var prevLogOffset: Offset
    /// Term of the entry at `prevLogOffset` in the leader's log.
    public var prevLogTerm: Term
    /// Contiguous entries starting at `prevLogOffset + 1`, possibly empty.
    public var entries: [Entry]
    /// The leader's commit offset.
    public var commitOffset: Offset

    public init(term: Term, prevLogOffset: Offset, prevLogTerm: Term, entries: [Entry], commitOffset: Offset) {
        self.term = term
        self.prevLogOffset = prevLogOffset
        self.prevLogTerm = prevLogTerm
        self.entries = entries
        self.commitOffset = commitOffset
    }

    /// Offset of the last entry this request covers (prev if no entries).
    public var lastOffset: Offset { prevLogOffset.advanced(by: UInt64(entries.count)) }

    /// Bytes charged against flow control for this request.
    public var accountedBytes: Int { entries.reduce(0) { $0 + $1.accountedBytes } }
}
