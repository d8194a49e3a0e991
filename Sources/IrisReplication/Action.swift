/// An output of `ReplicaCore.step`.
///
/// The shell MUST execute the actions of one step in order, and MUST have applied
/// every log write (`truncateLog`, `appendToLog`) to its log - written, not
/// necessarily fsynced - before the next call to `step`, so the injected
/// `LogReader` reflects them. Every `send` is safe to transmit immediately: the
/// core itself withholds messages that depend on state not yet durable.
public enum Action: Sendable, Hashable {
    /// Write and fsync the hard state, then deliver `Event.hardStatePersisted`
    /// with exactly this value. Persists MUST complete in the order requested.
    case persistHardState(HardState)
    /// Remove every entry after `offset` (entries at offsets > `offset`).
    case truncateLog(after: Offset)
    /// Append these contiguous entries after the current last entry. The shell
    /// MUST eventually fsync and deliver `Event.logPersisted`.
    case appendToLog([Entry])
    /// Transmit a message (best effort: loss, delay, duplication are tolerated).
    case send(Envelope)
    /// Entries through this offset are committed (durable on a majority).
    case commitAdvanced(to: Offset)
    /// The final (or outcome-unknown) answer for a client append.
    case clientResult(ClientRequestID, ClientResult)
}
