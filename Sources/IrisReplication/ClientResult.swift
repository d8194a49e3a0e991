import IrisLog

/// Outcome of a client append. Never "failed" for something that may still commit.
public enum ClientResult: Sendable, Hashable {
    /// The append is committed (durable on a majority); its first record is at this
    /// IrisLog offset, the others follow it. Final.
    case committed(Offset)
    /// This replica is not the leader; nothing was appended. Retry at `hint` if known.
    case notLeader(hint: NodeID?)
    /// The leader's uncommitted queue is full; nothing was appended. Retry later.
    case overloaded
    /// The encoded batch exceeds `frameBytesMax`; nothing was appended.
    case payloadTooLarge
    /// The append was accepted but leadership was lost before it committed:
    /// it may or may not commit later. The caller MUST NOT assume either.
    case outcomeUnknown
}
