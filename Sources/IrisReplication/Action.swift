import IrisLog

/// An output of `ReplicaCore.step`.
///
/// The shell MUST execute the actions of one step in order (a `send` may go out before
/// the log writes that precede it are applied), and MUST have applied
/// every log write (`truncateLog`, `appendToLog`) to its log - written, not
/// necessarily fsynced - before the next call to `step`, so the injected
/// `LogReader` reflects them. Positions are prefix ends (`LogEnd`, see `ReplicaCore`). Every `send` is safe to transmit immediately: the
/// core itself withholds messages that depend on state not yet durable.
public enum Action: Sendable, Hashable {
    /// Write and fsync the hard state, then deliver `Event.hardStatePersisted`
    /// with exactly this value. Persists MUST complete in the order requested.
    case persistHardState(HardState)
    /// Truncate the log to the prefix ending at `to`: remove every record after it
    /// (`Log.truncate(from: to.nextRecord)`); `to` is always a frame boundary.
    case truncateLog(to: LogEnd)
    /// Append these frames, byte for byte, at the end of the log (`Log.append(frames:)`).
    /// The shell MUST eventually fsync and deliver `Event.logPersisted`.
    case appendToLog([SealedFrame])
    /// Transmit a message (best effort: loss, delay, duplication are tolerated).
    case send(Envelope)
    /// Records below this offset are committed (durable on a majority).
    case commitAdvanced(to: LogEnd)
    /// The final (or outcome-unknown) answer for a client append.
    case clientResult(ClientRequestID, ClientResult)
    /// The replica's log failed it: execute the actions before this one, then stop the
    /// replica as if it crashed (no more `step` calls); restart it from its durable state
    /// once the log is readable again. Always the last action of its step (SPEC.md §9.3.1).
    case halt(ReplicaFault)
}
