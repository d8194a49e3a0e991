import IrisLog
import IrisMQTT
import IrisRouter
import Logging
import Synchronization

/// Follows one partition's committed records for the router: indexes its messages by topic,
/// keeps its retained table, and hands every batch to each shard in order (SPEC.md §16.4).
/// Answers the shards' reads of stored messages from the partition's log.
final class PartitionFeed: Sendable {
    let partition: Int
    private let replica: PartitionReplica
    private let state = Mutex(FeedState())
    /// One `step` at a time: batches reach the shards in order, once.
    private let stepping = Atomic<Bool>(false)
    private let logger: Logger

    private struct FeedState {
        var position: UInt64 = 0
        var index = TopicIndex()
        var retained = RetainedTable()
    }

    init(partition: Int, replica: PartitionReplica, logger: Logger) {
        self.partition = partition
        self.replica = replica
        self.logger = logger
    }

    /// Where the feed has read to.
    var position: UInt64 { state.withLock { $0.position } }

    /// The partition's commit end, once it has a leader and everything in its log at start is
    /// committed; nil while it has neither (a new leader commits its term-start marker first).
    var settledCommitEnd: UInt64? {
        let status = replica.status
        guard status.leader != nil, status.commitOffset.rawValue >= status.lastOffset.rawValue else { return nil }
        return status.commitOffset.rawValue
    }

    var isStopped: Bool { replica.mailbox.isClosed }

    /// Reads the next committed records (waiting up to `waitTicks` for some) and hands them to
    /// `shards`. Returns false when nothing new came.
    func step(shards: [RouterShard], waitTicks: Int) async -> Bool {
        guard stepping.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { stepping.store(false, ordering: .releasing) }
        let start = position
        let read: [LogRecord]
        do {
            read = try await replica.readCommitted(from: Offset(start), maxBytes: 1 << 20, waitTicks: waitTicks).records
        } catch {
            logger.error("mqtt: partition \(partition): reading committed records: \(error)")
            return false
        }
        guard let last = read.last else { return false }
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
        }
        let messagesOnly = decoded.filter { if case .message = $0.record { true } else { false } }
        for shard in shards {
            shard.handle(.committed(partition: partition, start: start, end: end, records: shard.partition == partition ? decoded : messagesOnly))
        }
        return true
    }

    /// Stored messages in `from..<to` whose topic one of `filters` matches, at most `limit`, and
    /// where the next read should start.
    func messages(from: UInt64, to: UInt64, matching filters: [TopicFilter], limit: Int) -> (messages: [StoredMessage], next: UInt64) {
        let offsets = state.withLock { state in
            state.index.offsets(from: from, limit: limit) { topic in
                guard let name = try? TopicName(validating: topic) else { return false }
                return filters.contains { $0.matches(name) }
            }
        }
        let inRange = offsets.filter { $0 < to }
        let next = inRange.count == limit && limit > 0 ? inRange.last! + 1 : to
        return (messages(at: inRange), next)
    }

    /// The stored messages at `offsets` (ascending); offsets that hold no message are left out.
    func messages(at offsets: [UInt64]) -> [StoredMessage] {
        var found: [StoredMessage] = []
        var chunk: [UInt64: LogRecord] = [:]
        for offset in offsets {
            if chunk[offset] == nil {
                do {
                    chunk = Dictionary(uniqueKeysWithValues: try replica.read(from: Offset(offset), maxBytes: 64 << 10).map { ($0.offset.rawValue, $0) })
                } catch {
                    logger.error("mqtt: partition \(partition): reading offset \(offset): \(error)")
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
        return found
    }

    /// Retained entries of this partition whose topic `filter` matches.
    func retained(matching filter: TopicFilter, limit: Int) -> [(topic: String, entry: RetainedTable.Entry)] {
        state.withLock { $0.retained.matching(filter, limit: limit) }
    }

    /// Indexed messages and the index's memory: for the metric of bytes per indexed message.
    var indexFigures: (messages: Int, bytes: Int) { state.withLock { ($0.index.offsetCount, $0.index.estimatedBytes) } }
}
