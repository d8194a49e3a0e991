import IrisLog

/// An input to `ReplicaCore.step`.
public enum Event: Sendable {
    /// One logical clock tick. The shell decides the tick length.
    case tick
    /// A message arrived from a peer.
    case receive(Envelope)
    /// The hard state from an earlier `Action.persistHardState` is now durable.
    case hardStatePersisted(HardState)
    /// The log is durable (fsynced) through the prefix ending at `offset`, whose last
    /// record has `term`. The term lets the core ignore a completion that predates a truncation.
    case logPersisted(through: LogEnd, term: Term)
    /// A client asks to append a batch of records, encoded by the shell (one frame).
    case clientAppend(ClientRequestID, batch: EncodedBatch)
    /// Hand leadership to `to` (a leader only; ignored otherwise): see SPEC.md §9.13.
    case transferLeadership(to: NodeID)
}
