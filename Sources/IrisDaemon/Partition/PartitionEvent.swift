import IrisLog
import IrisReplication
import IrisNode

/// What a partition's loop takes from its mailbox, one at a time.
enum PartitionEvent: Sendable {
    /// One tick of the node's clock.
    case tick
    /// A peer's message for this partition.
    case receive(Envelope)
    /// A client append.
    case append(AppendCall)
    /// The hard state asked for is durable.
    case hardStatePersisted(HardState)
    /// A log sync returned.
    case logSynced(LogSyncTicket)
    /// Stop the replica (a sync or hard-state failure, or shutdown).
    case stop(ReplicaStop)

    /// Whether this is a client append (appends waiting together are batched).
    var isAppend: Bool {
        if case .append = self { true } else { false }
    }
}

/// A client's append as the partition receives it.
struct AppendCall: Sendable {
    var records: [Record]
    /// Producer ID, 0 for none (no idempotence).
    var producer: UInt64
    var sequence: UInt64
    var answer: AppendAnswer

    /// Key and value bytes: what bounds a batch of appends.
    var payloadBytes: Int { records.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) } }
}

/// Called once with the outcome of an append, on the partition's loop: it must return quickly.
typealias AppendAnswer = @Sendable (PartitionAnswer) -> Void

/// The partition's answer to an append.
enum PartitionAnswer: Sendable, Equatable {
    /// Committed: the first client record's offset and how many records.
    case appended(first: Offset, count: Int)
    /// This replica does not lead; the leader if known.
    case notLeader(NodeID?)
    /// The leader's queue of uncommitted appends is full.
    case overloaded
    /// The batch is larger than a frame may be.
    case tooLarge
    /// Accepted, then leadership was lost: it may or may not commit.
    case outcomeUnknown
    /// The producer sequence is older than the window the leader remembers.
    case sequenceTooOld
    /// The replica is stopped or shutting down.
    case unavailable(String)
}

/// A partition replica's state as others may read it at any time.
struct ReplicaStatus: Sendable, Equatable {
    var role: Role = .follower
    var leader: NodeID?
    var term: Term = Term(0)
    var commitOffset: LogEnd = .zero
    var lastOffset: LogEnd = .zero
    var stopped: String?
}
