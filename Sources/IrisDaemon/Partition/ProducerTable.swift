import DequeModule
import IrisLog
import IrisReplication

/// What a partition's leader knows of idempotent producers: for each producer, the last few
/// sequences it appended and where (SPEC.md §12.4). Rebuilt from the leader's own log when it
/// takes office (`ProducerRecord` marks each idempotent append), kept up to date while it
/// leads, bounded in producers and in sequences per producer.
struct ProducerTable {
    /// One idempotent append: its sequence and where its client records are.
    struct Entry: Equatable {
        var sequence: UInt64
        /// Offset of the first client record (after the producer record).
        var firstOffset: Offset
        /// Number of client records.
        var count: Int
        /// End of the frame: the append is committed once the commit offset reaches it.
        var end: LogEnd
    }

    /// What a new append with a given sequence is.
    enum Lookup: Equatable {
        /// Not seen: append it.
        case new
        /// Already in the log: answer with this entry once it is committed.
        case duplicate(Entry)
        /// Older than what the table remembers of this producer: it cannot tell.
        case tooOld(oldestKnown: UInt64)
    }

    let producersMax: Int
    let sequencesPerProducerMax: Int
    private var entries: [UInt64: Deque<Entry>] = [:]
    /// Producers in order of their last append, oldest first (evicted first).
    private var recency = Deque<UInt64>()

    init(producersMax: Int = 16_384, sequencesPerProducerMax: Int = 256) {
        precondition(producersMax > 0 && sequencesPerProducerMax > 0, "the table remembers something")
        self.producersMax = producersMax
        self.sequencesPerProducerMax = sequencesPerProducerMax
    }

    /// Number of producers remembered.
    var producerCount: Int { entries.count }

    func lookup(producer: UInt64, sequence: UInt64) -> Lookup {
        guard let known = entries[producer], let oldest = known.first else { return .new }
        if let entry = known.last(where: { $0.sequence == sequence }) { return .duplicate(entry) }
        if sequence < oldest.sequence { return .tooOld(oldestKnown: oldest.sequence) }
        return .new
    }

    /// Remembers an append of `producer`, evicting its oldest sequence and the least recent
    /// producer when over the bounds.
    mutating func record(producer: UInt64, _ entry: Entry) {
        if entries[producer] == nil {
            if entries.count == producersMax, let evicted = recency.popFirst() { entries[evicted] = nil }
            entries[producer] = []
        } else if let index = recency.firstIndex(of: producer) {
            recency.remove(at: index)
        }
        recency.append(producer)
        entries[producer]!.append(entry)
        if entries[producer]!.count > sequencesPerProducerMax { entries[producer]!.removeFirst() }
    }

    /// Forgets everything (a replica that stops leading; the next leadership rebuilds).
    mutating func removeAll() {
        entries.removeAll()
        recency.removeAll()
    }
}

/// The system record an idempotent append starts with: one record, empty value, and a header
/// `iris.producer` whose value is the producer ID and the sequence (u64 little-endian each).
enum ProducerRecord {
    static let headerName = "iris.producer"

    static func record(producer: UInt64, sequence: UInt64, timestampMicroseconds: Int64) -> Record {
        var value = [UInt8]()
        value.reserveCapacity(16)
        withUnsafeBytes(of: producer.littleEndian) { value.append(contentsOf: $0) }
        withUnsafeBytes(of: sequence.littleEndian) { value.append(contentsOf: $0) }
        return Record(value: [], headers: [RecordHeader(name: headerName, value: value)], timestampMicroseconds: timestampMicroseconds)
    }

    /// The producer and sequence of `record` if it is a producer record with a well-formed header.
    static func parse(_ record: LogRecord) -> (producer: UInt64, sequence: UInt64)? {
        guard let header = record.headers.first(where: { $0.name == headerName }), header.value.count == 16 else { return nil }
        var producer: UInt64 = 0
        var sequence: UInt64 = 0
        for index in 0..<8 {
            producer |= UInt64(header.value[index]) << (8 * index)
            sequence |= UInt64(header.value[8 + index]) << (8 * index)
        }
        return (producer, sequence)
    }
}
