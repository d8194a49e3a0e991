import IrisLog

/// Why a replica stopped (`Action.halt`, or a throwing `ReplicaCore.init`): its own log could
/// not be read, or holds what a replicated log cannot. The shell stops feeding the core and
/// treats the replica as crashed; it restarts once the log is readable again (SPEC.md §9.3.1).
public enum ReplicaFault: Error, Sendable, Hashable, CustomStringConvertible {
    /// Reading the local log at this offset failed (an I/O error, a corrupt frame).
    case logUnreadable(offset: LogEnd, error: LogError)
    /// The local log breaks a rule of a replicated log at this offset (a frame missing where
    /// the reader's end says there is one, terms that decrease, frames that do not follow).
    case logInconsistent(offset: LogEnd, reason: String)
    /// The frame holding this offset is larger than `messageBytesMax`, so this leader can never
    /// send it: the replicas were configured with different `frameBytesMax` (SPEC.md §9.11).
    case frameExceedsMessageBytesMax(offset: LogEnd, messageBytesMax: Int)

    /// One line naming the offset and the cause, and what to do where an operator can act.
    public var description: String {
        switch self {
        case .logUnreadable(let offset, let error):
            "reading the replica's log at \(offset) failed: \(error)"
        case .logInconsistent(let offset, let reason):
            "the replica's log is not a valid replicated log at \(offset): \(reason); run `iris-log verify DIR`"
        case .frameExceedsMessageBytesMax(let offset, let messageBytesMax):
            "the frame holding \(offset) exceeds messageBytesMax (\(messageBytesMax)); "
                + "every replica must use the same frameBytesMax"
        }
    }

    /// Faults are equal when their descriptions are (`LogError` inside is compared as text).
    public static func == (lhs: ReplicaFault, rhs: ReplicaFault) -> Bool { lhs.description == rhs.description }
    /// Hashes the description, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}
