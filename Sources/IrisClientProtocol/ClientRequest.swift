import IrisLog

/// APPEND: records to add to a partition as one batch, with the producer's sequence for
/// idempotent retries (SPEC.md §12.4).
public struct AppendRequest: Sendable, Hashable {
    /// The partition, 0 ..< P.
    public var partition: UInt32
    /// The producer's random non-zero ID; 0 appends without deduplication.
    public var producerID: UInt64
    /// The producer's sequence for this partition: 1 for its first append, +1 for each new
    /// append; a retry reuses it. Ignored when `producerID` is 0.
    public var sequence: UInt64
    /// The records; keys, values and headers are sent, timestamps are not (the leader stamps them).
    public var records: [Record]

    /// An APPEND of `records` to `partition` under (`producerID`, `sequence`).
    public init(partition: UInt32, producerID: UInt64, sequence: UInt64, records: [Record]) {
        self.partition = partition
        self.producerID = producerID
        self.sequence = sequence
        self.records = records
    }
}

/// READ: committed records from an offset on, waiting a bounded time for one to exist.
public struct ReadRequest: Sendable, Hashable {
    /// The partition, 0 ..< P.
    public var partition: UInt32
    /// The first offset wanted.
    public var from: Offset
    /// A soft bound on the key and value bytes answered; at least one record is answered
    /// when one exists, however large.
    public var maxBytes: UInt32
    /// How long the server may wait for a committed record at or after `from` before answering
    /// an empty RECORDS; 0 answers at once. The server caps it (SPEC.md §12.4).
    public var waitMilliseconds: UInt32

    /// A READ of `partition` from `from`.
    public init(partition: UInt32, from: Offset, maxBytes: UInt32, waitMilliseconds: UInt32) {
        self.partition = partition
        self.from = from
        self.maxBytes = maxBytes
        self.waitMilliseconds = waitMilliseconds
    }
}

/// FOLLOW: push committed records from an offset on, one unacknowledged batch at a time.
public struct FollowRequest: Sendable, Hashable {
    /// The partition, 0 ..< P.
    public var partition: UInt32
    /// The first offset wanted.
    public var from: Offset
    /// A soft bound on the key and value bytes of each pushed batch.
    public var maxBytes: UInt32

    /// A FOLLOW of `partition` from `from`.
    public init(partition: UInt32, from: Offset, maxBytes: UInt32) {
        self.partition = partition
        self.from = from
        self.maxBytes = maxBytes
    }
}

/// A request a client sends (SPEC.md §12.4).
public enum ClientRequest: Sendable, Hashable {
    /// Append records; answered once committed on a quorum, or with why not.
    case append(AppendRequest)
    /// Read committed records.
    case read(ReadRequest)
    /// Follow the committed tail; RECORDS answers carry this request's ID.
    case follow(FollowRequest)
    /// The client consumed the last batch pushed for the FOLLOW with this frame's request ID
    /// and wants the next one; never answered.
    case followAck
    /// Ask for the cluster's nodes and partitions as this node knows them.
    case status
}
