import IrisLog
import IrisMQTT
import IrisRouter
import Logging
import Synchronization

/// Follows one partition's committed records for the router: indexes its messages by topic,
/// keeps its retained table, and hands every batch to each shard in order (SPEC.md §16.4).
/// Answers the shards' reads of stored messages from the partition's log. The records come
/// from a `CommittedRecordSource`: this node's replica, or another node's (SPEC.md §16.7).
final class PartitionFeed: Sendable {
    let partition: Int
    /// Partitions in the cluster.
    let partitionCount: Int
    private let source: any CommittedRecordSource
    private let state = Mutex(FeedState())
    /// One `step` at a time: batches reach the shards in order, once.
    private let stepping = Atomic<Bool>(false)
    private let logger: Logger

    private struct FeedState {
        var position: UInt64 = 0
        var index = TopicIndex()
        var retained = RetainedTable()
        /// The record at `position - 1`, for the checkpoint.
        var lastRecord: RecordStamp?
    }

    /// Where this partition's router checkpoint is kept (SPEC.md §16.8).
    let checkpoints: RouterCheckpointFile

    init(partition: Int, partitionCount: Int, source: any CommittedRecordSource, checkpoints: RouterCheckpointFile, logger: Logger) {
        self.partition = partition
        self.partitionCount = partitionCount
        self.source = source
        self.checkpoints = checkpoints
        self.logger = logger
    }

    /// The partition's checkpoint, if there is one and the log still holds what it covers (checked
    /// through the source: the local log, or a replica on another node).
    func loadCheckpoint() async -> RouterCheckpoint? {
        await checkpoints.load { checkpoint throws(RouterCheckpointError) in try await source.check(checkpoint) }
    }

    /// Starts from `checkpoint`'s position, index and retained table. Before the first `step`.
    func restore(_ checkpoint: RouterCheckpoint) {
        state.withLock { state in
            precondition(state.position == 0, "a feed is restored before it reads")
            state = FeedState(position: checkpoint.position, index: checkpoint.index, retained: checkpoint.retained, lastRecord: checkpoint.lastRecord)
        }
    }

    /// Where the feed has read to.
    var position: UInt64 { state.withLock { $0.position } }

    /// The commit end to read up to before serving, once the source knows it
    /// (`CommittedRecordSource.settledCommitEnd`); nil until then.
    var settledCommitEnd: UInt64? { source.settledCommitEnd }

    var isStopped: Bool { source.isStopped }

    /// Reads the next committed records (waiting up to `waitTicks` for some) and hands them to
    /// `shards`. Returns false when nothing new came.
    func step(shards: [RouterShard], waitTicks: Int) async -> Bool {
        guard stepping.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { stepping.store(false, ordering: .releasing) }
        let start = position
        let read: [LogRecord]
        do {
            read = try await source.committed(from: start, maxBytes: 1 << 20, waitTicks: waitTicks)
        } catch {
            logger.error("mqtt: \(error)")
            return false
        }
        guard let last = read.last else {
            // Nothing new: what was read since the last checkpoint is saved once the interval is up.
            checkpointIfDue(afterReading: 0, bytes: 0, shards: shards)
            return false
        }
        var decoded: [(offset: UInt64, timestampMicroseconds: Int64, clientID: String, record: RouterRecord)] = []
        var malformed: [String] = []
        for record in read {
            do throws(RouterRecordError) {
                guard let (clientID, routerRecord) = try RouterRecord.decode(record) else { continue }
                decoded.append((record.offset.rawValue, record.timestampMicroseconds, clientID, routerRecord))
            } catch {
                malformed.append("offset \(record.offset.rawValue): \(error)")
            }
        }
        for line in malformed { logger.error("mqtt: partition \(partition): skipping a router record: \(line)") }
        let end = last.offset.rawValue + 1
        state.withLock { state in
            for entry in decoded {
                guard case .message(let message) = entry.record else { continue }
                state.index.add(topic: message.topic.value, offset: entry.offset)
                if message.retain {
                    state.retained.add(topic: message.topic.value, offset: entry.offset,
                        timestampMicroseconds: entry.timestampMicroseconds, clears: message.payload.isEmpty)
                }
            }
            state.position = end
            state.lastRecord = RecordStamp(last)
        }
        let messagesOnly = decoded.filter { if case .message = $0.record { true } else { false } }
        for shard in shards {
            shard.handle(.committed(partition: partition, start: start, end: end, records: shard.partition == partition ? decoded : messagesOnly))
        }
        let readBytes = read.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) + 32 }
        checkpointIfDue(afterReading: read.count, bytes: readBytes, shards: shards)
        return true
    }

    /// Inside `step`: writes a checkpoint in the background when one is due: with the sessions
    /// of the partition's shard among `shards`, or of the feed alone when this node does not host
    /// the partition.
    private func checkpointIfDue(afterReading records: Int, bytes: Int, shards: [RouterShard]) {
        guard checkpoints.isDue(afterReading: records, bytes: bytes) else { return }
        if let own = shards.first(where: { $0.partition == partition }) {
            checkpoints.write(checkpoint(ledger: own.ledgerState))
        } else {
            checkpoints.write(feedCheckpoint())
        }
    }

    /// The checkpoint of this partition now: between two steps, so the feed and its shard's
    /// replaying copy (`ledger`) have read the partition to the same offset.
    func checkpoint(ledger: ShardCore) -> RouterCheckpoint {
        state.withLock { state in
            RouterCheckpoint(ledger: ledger, position: state.position, lastRecord: state.lastRecord, index: state.index, retained: state.retained)
        }
    }

    /// The checkpoint of this feed alone now (a partition this node does not host): its index,
    /// retained table and position.
    func feedCheckpoint() -> RouterCheckpoint {
        state.withLock { state in
            RouterCheckpoint(
                feedOf: partition, partitionCount: partitionCount, position: state.position, lastRecord: state.lastRecord, index: state.index,
                retained: state.retained)
        }
    }

    /// Stored messages in `from..<to` whose topic one of `filters` matches, at most `limit`, and
    /// where the next read should start: at the first one that could not be read, if any (the
    /// next read tries it again).
    func messages(from: UInt64, to: UInt64, matching filters: [TopicFilter], limit: Int) async -> (messages: [StoredMessage], next: UInt64) {
        let offsets = state.withLock { state in
            state.index.offsets(from: from, limit: limit) { topic in
                guard let name = try? TopicName(validating: topic) else { return false }
                return filters.contains { $0.matches(name) }
            }
        }
        let inRange = offsets.filter { $0 < to }
        let next = inRange.count == limit && limit > 0 ? inRange.last! + 1 : to
        let (found, unread) = await read(inRange)
        guard let unread else { return (found, next) }
        return (found, unread)
    }

    /// The stored messages at `offsets` (ascending); offsets that hold no message, or could
    /// not be read, are left out.
    func messages(at offsets: [UInt64]) async -> [StoredMessage] {
        await read(offsets, stopAtFailure: false).found
    }

    /// The stored messages at `offsets` (ascending), and the first offset that could not be
    /// read when `stopAtFailure` (reading stops there).
    private func read(_ offsets: [UInt64], stopAtFailure: Bool = true) async -> (found: [StoredMessage], unread: UInt64?) {
        var found: [StoredMessage] = []
        var chunk: [UInt64: LogRecord] = [:]
        for offset in offsets {
            if chunk[offset] == nil {
                do throws(FeedSourceError) {
                    chunk = Dictionary(try await source.records(from: offset, maxBytes: 64 << 10).map { ($0.offset.rawValue, $0) }) { first, _ in first }
                } catch {
                    logger.error("mqtt: \(error)")
                    if stopAtFailure { return (found, offset) }
                    continue
                }
            }
            guard let record = chunk[offset] else { continue }
            do throws(RouterRecordError) {
                if let (_, routerRecord) = try RouterRecord.decode(record), case .message(let message) = routerRecord {
                    found.append(StoredMessage(
                        reference: MessageReference(partition: partition, offset: offset), timestampMicroseconds: record.timestampMicroseconds,
                        message: message))
                }
            } catch {
                logger.error("mqtt: partition \(partition): offset \(offset): \(error)")
            }
        }
        return (found, nil)
    }

    /// Retained entries of this partition whose topic `filter` matches, after the topic `after`, at most `limit`.
    func retained(matching filter: TopicFilter, after: String?, limit: Int) -> [(topic: String, entry: RetainedTable.Entry)] {
        state.withLock { $0.retained.matching(filter, after: after, limit: limit) }
    }

    /// Indexed messages and the index's memory: for the metric of bytes per indexed message.
    var indexFigures: (messages: Int, bytes: Int) { state.withLock { ($0.index.offsetCount, $0.index.estimatedBytes) } }
}
