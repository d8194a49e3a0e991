import IrisLog
import IrisReplication

/// What a `ReplicaDriver` asks of the world around it, apart from its log: the parts that
/// differ between the simulator (simulated clock, network and fsync latency) and `irisd`
/// (files, SwiftNIO). Every method is called on the driver's own execution context and must
/// not block; work that takes time completes later through the driver's completion methods.
public protocol ReplicaShell: AnyObject {
    /// Begins making `state` durable (SPEC.md §11.1); once it is, the shell calls
    /// `ReplicaDriver.hardStatePersisted(_:)` with exactly this value. Persists complete in
    /// the order requested. A failure stops the replica (`ReplicaDriver.stop(_:)`).
    func persistHardState(_ state: HardState)
    /// Begins `Log.sync()`; when it returns the shell calls
    /// `ReplicaDriver.logSyncCompleted(_:)` with this ticket, or `stop(.logFailed)` when it throws.
    func syncLog(_ ticket: LogSyncTicket)
    /// Transmits a message, best effort.
    func send(_ envelope: Envelope)
    /// Records below `offset` are committed.
    func commitAdvanced(to offset: LogEnd)
    /// The final (or outcome-unknown) answer to a client append.
    func clientResult(_ id: ClientRequestID, _ result: ClientResult)
    /// The replica stopped for `reason`: the driver takes no more events. The shell may start
    /// a new driver from the durable state once the cause is gone (SPEC.md §9.3.1).
    func replicaStopped(_ reason: ReplicaStop)
}

/// One `Log.sync()` the driver asked for: what it covers, known when it was asked.
///
/// Everything written before the sync began is durable when it returns, so the driver reports
/// `end` and its `term` as persisted, unless a truncation ran in between (`generation`
/// differs), in which case the completion is dropped and another sync requested.
public struct LogSyncTicket: Sendable, Hashable {
    /// End of the log when the sync began: a frame end.
    public let end: LogEnd
    /// Term of the record before `end` (zero for the empty log).
    public let term: Term
    /// The driver's truncation count when the sync began.
    public let generation: UInt64
}

/// Why a replica stopped.
public enum ReplicaStop: Sendable, Error, CustomStringConvertible {
    /// The core halted: its log could not be read or is inconsistent (SPEC.md §9.3.1 rule 2).
    case halted(ReplicaFault)
    /// A write, truncation or sync of the log failed; the log is fail-stopped (rule 3).
    case logFailed(LogError)
    /// The hard-state file could not be written.
    case hardStateFailed(String)
    /// The log could not be opened or is not a valid replicated log at startup.
    case cannotStart(String)

    /// What happened, for logs and operators.
    public var description: String {
        switch self {
        case .halted(let fault): "halted: \(fault)"
        case .logFailed(let error): "log failed: \(error)"
        case .hardStateFailed(let detail): "hard state not durable: \(detail)"
        case .cannotStart(let detail): "cannot start: \(detail)"
        }
    }
}
