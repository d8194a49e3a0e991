import IrisLog

/// The router state of one partition, as replaying its log up to `position` leaves it: the feed's
/// topic index and retained table, and the sessions of the partition's shard (SPEC.md §16.8).
///
/// A node restarts from it and reads only the records from `position` on, so a restart does not
/// scale with the partition's history. The sessions come from a shard that only replays (no
/// connection, never told `recovered`), so the checkpoint holds nothing that the log does not.
public struct RouterCheckpoint: Sendable {
    /// The layout version `serialized()` writes.
    public static let version: UInt8 = 1

    /// The partition whose state this is.
    public let partition: Int
    /// Partitions in the cluster.
    public let partitionCount: Int
    /// The records of the partition below this offset are covered.
    public let position: UInt64
    /// The record at `position - 1`, to tell that the log still holds what is covered; nil when
    /// `position` is 0.
    public let lastRecord: RecordStamp?
    /// The partition's messages by topic, below `position`.
    public let index: TopicIndex
    /// The partition's retained table, below `position`.
    public let retained: RetainedTable
    /// The shard's sessions, by client ID.
    let sessions: [String: Session]

    /// The state of `ledger` (a shard that only replays) and of the partition's feed, which have
    /// both read the partition up to `position`.
    public init(ledger: ShardCore, position: UInt64, lastRecord: RecordStamp?, index: TopicIndex, retained: RetainedTable) {
        precondition(ledger.isReplaying, "a checkpoint holds what a replay holds: no connection, never recovered")
        let partition = ledger.configuration.partition
        precondition(ledger.feedPositions[partition] == position, "the shard has read its partition exactly to the checkpoint")
        precondition((position == 0) == (lastRecord == nil), "a checkpoint past offset 0 names its last record")
        self.init(
            partition: partition, partitionCount: ledger.configuration.partitionCount, position: position, lastRecord: lastRecord,
            index: index, retained: retained, sessions: ledger.sessions)
    }

    /// The state of a feed alone, which has read `partition` up to `position`: the checkpoint of
    /// a partition this node follows but does not host, so has no shard of (SPEC.md §16.8). It
    /// holds no session; a node never restores a shard from it.
    public init(feedOf partition: Int, partitionCount: Int, position: UInt64, lastRecord: RecordStamp?, index: TopicIndex, retained: RetainedTable) {
        precondition((0..<partitionCount).contains(partition), "a checkpoint of one of the partitions")
        precondition((position == 0) == (lastRecord == nil), "a checkpoint past offset 0 names its last record")
        self.init(
            partition: partition, partitionCount: partitionCount, position: position, lastRecord: lastRecord, index: index, retained: retained,
            sessions: [:])
    }

    init(
        partition: Int, partitionCount: Int, position: UInt64, lastRecord: RecordStamp?, index: TopicIndex, retained: RetainedTable,
        sessions: [String: Session]
    ) {
        self.partition = partition
        self.partitionCount = partitionCount
        self.position = position
        self.lastRecord = lastRecord
        self.index = index
        self.retained = retained
        self.sessions = sessions
    }

    /// Checks that a log still holds what this checkpoint covers (SPEC.md §16.8): the log's
    /// committed records end at `logEnd` (exclusive), and `record` is what it holds at
    /// `position - 1` (nil: nothing could be read there). Throws `.logMismatch` saying how the
    /// log differs: shorter than the checkpoint, or another record at its last offset (the log
    /// was repaired, truncated or replaced).
    public func check(logEnd: UInt64, recordAtLast record: LogRecord?) throws(RouterCheckpointError) {
        guard let stamp = lastRecord else { return }
        let last = position - 1
        guard last < logEnd else { throw .logMismatch("it covers offsets up to \(last), the log ends at \(logEnd)") }
        guard let record else { throw .logMismatch("no record could be read at offset \(last)") }
        guard record.offset.rawValue == last else {
            throw .logMismatch("reading offset \(last) gave offset \(record.offset.rawValue)")
        }
        guard RecordStamp(record) == stamp else { throw .logMismatch("the record at offset \(last) is not the one it covered") }
    }

    /// Sessions held.
    public var sessionCount: Int { sessions.count }

    /// The partition's shard as the checkpoint leaves it, having read every partition up to
    /// `feedPositions` (its own up to `position`): it goes on from there as if it had replayed.
    public func shard(configuration: ShardConfiguration, feedPositions: [UInt64]) -> ShardCore {
        precondition(configuration.partition == partition && configuration.partitionCount == partitionCount,
            "a checkpoint restores the shard of its own partition")
        precondition(feedPositions[partition] == position, "the shard's own partition is read from the checkpoint on")
        return ShardCore(configuration: configuration, restoring: sessions, feedPositions: feedPositions)
    }
}

/// What identifies one record of a log: its timestamp and the CRC32C of its key and value.
public struct RecordStamp: Sendable, Equatable {
    /// When the leader stored it.
    public var timestampMicroseconds: Int64
    /// CRC32C of the key's bytes (none: nothing) followed by the value's.
    public var checksum: UInt32

    /// The stamp of `record`.
    public init(_ record: LogRecord) {
        timestampMicroseconds = record.timestampMicroseconds
        checksum = CRC32C.checksum(record.value, continuing: CRC32C.checksum(record.key ?? []))
    }

    init(timestampMicroseconds: Int64, checksum: UInt32) {
        self.timestampMicroseconds = timestampMicroseconds
        self.checksum = checksum
    }
}
