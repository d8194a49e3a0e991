import IrisLog
import IrisMQTT
import IrisRouter

/// The partitions' logs as plain arrays, with offsets and timestamps from a fake clock, and naive
/// answers to the shard's reads: every read scans the records, independent of `TopicIndex` and
/// `RetainedTable`.
struct ModelLogs {
    private(set) var records: [[LogRecord]]
    /// Each record decoded once, when appended (nil: not a router record).
    private var decodedRecords: [[(clientID: String, record: RouterRecord)?]]
    /// Per partition, records below this offset are committed.
    private(set) var committedEnd: [UInt64]
    private var clockMicroseconds: Int64 = 1_000_000

    init(partitionCount: Int) {
        records = Array(repeating: [], count: partitionCount)
        decodedRecords = Array(repeating: [], count: partitionCount)
        committedEnd = Array(repeating: 0, count: partitionCount)
    }

    var partitionCount: Int { records.count }

    /// Appends at the next offsets of `partition`; each record a tick of the clock later.
    mutating func append(_ appended: [Record], to partition: Int) {
        for record in appended {
            clockMicroseconds += 1
            let logRecord = LogRecord(
                offset: Offset(rawValue: UInt64(records[partition].count)), timestampMicroseconds: clockMicroseconds, key: record.key,
                value: record.value, headers: record.headers, term: Term(rawValue: 1))
            records[partition].append(logRecord)
            decodedRecords[partition].append(try? RouterRecord.decode(logRecord))
        }
    }

    /// Everything appended to `partition` is committed.
    mutating func commit(_ partition: Int) { committedEnd[partition] = UInt64(records[partition].count) }

    /// Drops the uncommitted tail of every partition (a crash before the write reached the disk).
    mutating func truncateUncommitted() {
        for partition in records.indices {
            records[partition].removeLast(records[partition].count - Int(committedEnd[partition]))
            decodedRecords[partition].removeLast(decodedRecords[partition].count - Int(committedEnd[partition]))
        }
    }

    /// The router record at `offset`, decoded; nil when it is not one.
    func decoded(_ partition: Int, _ offset: UInt64) -> (clientID: String, record: RouterRecord)? {
        guard offset < UInt64(records[partition].count) else { return nil }
        return decodedRecords[partition][Int(offset)]
    }

    /// The stored message at a reference; nil when the offset holds none.
    func message(at reference: MessageReference) -> StoredMessage? {
        guard case .message(let message)? = decoded(reference.partition, reference.offset)?.record else { return nil }
        let timestamp = records[reference.partition][Int(reference.offset)].timestampMicroseconds
        return StoredMessage(reference: reference, timestampMicroseconds: timestamp, message: message)
    }

    /// Every message of `partition` in `range` in offset order.
    func messages(_ partition: Int, in range: Range<UInt64>) -> [StoredMessage] {
        let end = min(range.upperBound, UInt64(records[partition].count))
        guard range.lowerBound < end else { return [] }
        return (range.lowerBound..<end).compactMap { message(at: MessageReference(partition: partition, offset: $0)) }
    }

    /// The `catchUp` answer, with the shell's paging rule.
    func catchUp(partition: Int, from: UInt64, to: UInt64, filters: [TopicFilter], limit: Int) -> (messages: [StoredMessage], next: UInt64) {
        let matching = messages(partition, in: from..<to).filter { stored in filters.contains { $0.matches(stored.message.topic) } }
        let page = Array(matching.prefix(limit))
        let next = page.count == limit && limit > 0 ? page.last!.reference.offset + 1 : to
        return (page, next)
    }

    /// Committed message records of `clientID` with this packet ID and QoS (any epoch).
    func hasCommittedMessage(clientID: String, partition: Int, packetID: UInt16, qos: QoS) -> Bool {
        (0..<committedEnd[partition]).contains { offset in
            guard let (owner, record) = decoded(partition, offset), owner == clientID, case .message(let message) = record else { return false }
            return message.packetID == packetID && message.qos == qos
        }
    }

    /// Every stored message, all partitions, in partition then offset order.
    var allMessages: [StoredMessage] {
        records.indices.flatMap { messages($0, in: 0..<UInt64(records[$0].count)) }
    }
}
