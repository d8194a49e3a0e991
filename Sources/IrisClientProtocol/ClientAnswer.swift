import IrisLog

/// Committed records answered to a READ or pushed for a FOLLOW.
public struct RecordBatch: Sendable, Hashable {
    /// The records in offset order; empty when none was committed within the wait.
    public var records: [LogRecord]
    /// Where the next read should start: after the last record, or the READ's offset when empty.
    public var nextOffset: Offset

    /// A batch of `records` to continue at `nextOffset`.
    public init(records: [LogRecord], nextOffset: Offset) {
        self.records = records
        self.nextOffset = nextOffset
    }
}

/// Where a node believes a partition's leader is.
public struct LeaderHint: Sendable, Hashable {
    /// The leader's node ID; nil when unknown.
    public var nodeID: UInt64?
    /// The leader's client address ("host:port"); empty when unknown.
    public var address: String

    /// A hint naming `nodeID` at `address`.
    public init(nodeID: UInt64?, address: String) {
        self.nodeID = nodeID
        self.address = address
    }
}

/// An answer a server sends (SPEC.md §12.5): exactly one kind per outcome.
public enum ClientAnswer: Sendable, Hashable {
    /// The APPEND is committed on a quorum; its first record is at `firstOffset`.
    case appended(firstOffset: Offset, count: UInt32)
    /// This node does not lead the partition; retry at the hint. Not appended.
    case notLeader(LeaderHint)
    /// The leader holds too many appends awaiting commit; retry later. Not appended.
    case overloaded
    /// The batch exceeds the partition's frame size; split it. Not appended.
    case tooLarge
    /// Accepted, but leadership was lost before commit: it may or may not commit. Retry with
    /// the same producer sequence.
    case outcomeUnknown
    /// No such partition on this cluster.
    case unknownPartition
    /// The sequence is below the window of sequences the server remembers for the producer:
    /// whether it was appended cannot be told any more.
    case sequenceTooOld
    /// The node cannot serve the request now (starting, stopping, storage failed); `reason` says why.
    case unavailable(reason: String)
    /// Committed records (READ, FOLLOW).
    case records(RecordBatch)
    /// The cluster's nodes and partitions (STATUS).
    case status(ClusterStatus)
}
