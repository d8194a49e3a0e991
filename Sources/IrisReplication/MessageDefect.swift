import IrisLog

/// Why a replica refused a message without acting on it (SPEC.md §9.5.5).
///
/// Every message from the network is checked before it can change anything: a message that
/// fails is dropped and counted in `ReplicaCore.rejectedMessages`, like a lost one. None of
/// these can happen between correct members over a correct transport, so a non-zero count
/// points at a misconfiguration (a node of another cluster, different `frameBytesMax`), a
/// broken decoder, or a bug.
public enum MessageDefect: String, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The sender is not another member of this group (a node of another cluster, a
    /// decommissioned member, or this replica itself).
    case senderNotPeer
    /// The envelope is addressed to another replica.
    case wrongRecipient
    /// A request, or an AppendResponse, carries term 0, which no replica sends.
    case termZero
    /// The term is at least `Term.implausible` (2^63), which no cluster reaches one election
    /// at a time; adopting it would let a later election overflow the term.
    case termImplausible
    /// AppendRequest: the frames do not start at `prevLogOffset` and follow each other
    /// without gap or overlap.
    case framesNotContiguous
    /// AppendRequest: `prevLogTerm` is above the request's term, or is not 0 at offset 0.
    case prevLogTermInvalid
    /// AppendRequest: a frame's term is 0, below `prevLogTerm`, or below the frame before it.
    case frameTermsDecrease
    /// AppendRequest: a frame's term is above the request's term.
    case frameTermAboveRequestTerm
    /// AppendRequest: a frame is larger than this replica's `frameBytesMax`.
    case frameTooLarge
    /// AppendRequest: the frames add up to more than this replica's `messageBytesMax`.
    case messageTooLarge
    /// AppendRequest: a leader of this replica's own term while this replica leads it.
    case secondLeaderInTerm
    /// AppendRequest: a frame would cut the local log inside one of its frames (the sender's
    /// frames of that term have other boundaries than the local ones).
    case frameSplitsLocalFrame
    /// VoteRequest: `lastLogTerm` is above the campaign term, or exactly one of
    /// `lastLogOffset` and `lastLogTerm` is 0.
    case lastLogInvalid
    /// AppendResponse: a success whose `matchOffset` lies beyond the leader's log.
    case matchBeyondLeaderLog
    /// AppendResponse: a rejection whose hint lies after the rejected `prevLogOffset`.
    case hintAfterRejectedOffset

    /// The case's name, e.g. `secondLeaderInTerm`.
    public var description: String { rawValue }
}

extension AppendRequest {
    /// Builds a request received from elsewhere (a wire decoder), checking what the receiver
    /// needs before it acts on it: frames contiguous from `prevLogOffset`, `prevLogTerm <=
    /// frames[0].term <= ... <= frames.last.term <= term`, and sizes within the limits.
    ///
    /// - Throws: the first `MessageDefect` found.
    public init(
        validating term: Term, prevLogOffset: LogEnd, prevLogTerm: Term, frames: [SealedFrame],
        commitOffset: LogEnd, frameBytesMax: Int, messageBytesMax: Int
    ) throws(MessageDefect) {
        self.init(term: term, prevLogOffset: prevLogOffset, prevLogTerm: prevLogTerm,
                  frames: frames, commitOffset: commitOffset)
        if let defect = defect(frameBytesMax: frameBytesMax, messageBytesMax: messageBytesMax) { throw defect }
    }

    /// The first defect of the request for a receiver with these limits, nil when well formed.
    public func defect(frameBytesMax: Int, messageBytesMax: Int) -> MessageDefect? {
        guard term > .zero else { return .termZero }
        guard term < .implausible else { return .termImplausible }
        guard framesAreContiguous else { return .framesNotContiguous }
        guard prevLogTerm <= term, prevLogOffset > .zero || prevLogTerm == .zero else { return .prevLogTermInvalid }
        var previousTerm = max(prevLogTerm, Term(1))
        var bytes = 0
        for frame in frames {
            guard frame.term >= previousTerm else { return .frameTermsDecrease }
            guard frame.term <= term else { return .frameTermAboveRequestTerm }
            guard frame.bytes.count <= frameBytesMax else { return .frameTooLarge }
            previousTerm = frame.term
            bytes += frame.bytes.count
        }
        guard bytes <= messageBytesMax else { return .messageTooLarge }
        return nil
    }
}

extension VoteRequest {
    /// The first defect of the request, nil when well formed.
    public var defect: MessageDefect? {
        guard term > .zero else { return .termZero }
        guard term < .implausible else { return .termImplausible }
        guard lastLogTerm <= term, (lastLogOffset == .zero) == (lastLogTerm == .zero) else { return .lastLogInvalid }
        return nil
    }
}

extension AppendResponse {
    /// The first defect the response shows on its own, nil when well formed. (Whether a
    /// match lies within the leader's log only the leader can tell.)
    public var defect: MessageDefect? {
        guard term > .zero else { return .termZero }
        guard term < .implausible else { return .termImplausible }
        guard success || hintOffset <= rejectedPrevLogOffset else { return .hintAfterRejectedOffset }
        return nil
    }
}

extension Message {
    /// The first defect the message shows on its own for a receiver with these limits, nil
    /// when well formed. A VoteResponse can only carry an implausible term: a rejection
    /// from a replica that never voted carries term 0.
    public func defect(frameBytesMax: Int, messageBytesMax: Int) -> MessageDefect? {
        switch self {
        case .voteRequest(let request): request.defect
        case .voteResponse(let response): response.term < .implausible ? nil : .termImplausible
        case .appendRequest(let request): request.defect(frameBytesMax: frameBytesMax, messageBytesMax: messageBytesMax)
        case .appendResponse(let response): response.defect
        case .timeoutNow(let message):
            message.term == .zero ? .termZero : message.term < .implausible ? nil : .termImplausible
        }
    }
}

extension Term {
    /// 2^63: no message may carry a term this large (`MessageDefect.termImplausible`).
    public static let implausible = Term(1 << 63)
}
