import IrisLog

/// Every message exchanged between replicas.
public enum Message: Hashable, Sendable {
    case voteRequest(VoteRequest)
    case voteResponse(VoteResponse)
    case appendRequest(AppendRequest)
    case appendResponse(AppendResponse)

    /// The term the message carries.
    public var term: Term {
        switch self {
        case .voteRequest(let request): request.term
        case .voteResponse(let response): response.term
        case .appendRequest(let request): request.term
        case .appendResponse(let response): response.term
        }
    }
}
