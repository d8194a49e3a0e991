import IrisLog

/// Every message exchanged between replicas.
public enum Message: Hashable, Sendable {
    /// A pre-candidate or candidate asks for a (pre-)vote.
    case voteRequest(VoteRequest)
    /// The answer to a vote request.
    case voteResponse(VoteResponse)
    /// A leader sends frames, or a heartbeat with none, and its commit offset.
    case appendRequest(AppendRequest)
    /// A follower accepts (once the frames are durable) or rejects an append request.
    case appendResponse(AppendResponse)
    /// The leader hands leadership to the receiver: campaign now (SPEC.md §9.13).
    case timeoutNow(TimeoutNow)

    /// The term the message carries.
    public var term: Term {
        switch self {
        case .voteRequest(let request): request.term
        case .voteResponse(let response): response.term
        case .appendRequest(let request): request.term
        case .appendResponse(let response): response.term
        case .timeoutNow(let message): message.term
        }
    }
}
