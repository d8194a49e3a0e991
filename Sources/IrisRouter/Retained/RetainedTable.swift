import IrisMQTT

/// The retained messages of one partition: per topic, the newest retained publish stored there
/// (SPEC.md §16.5). An empty payload clears the topic; the clear is kept so that a newer clear
/// in one partition hides an older message in another when a subscriber merges partitions.
public struct RetainedTable: Sendable {
    /// The newest retained publish of a topic in this partition.
    public struct Entry: Sendable, Equatable {
        /// Where the message record is.
        public var offset: UInt64
        /// When the leader stored it.
        public var timestampMicroseconds: Int64
        /// A zero-length payload: the topic has no retained message from here on.
        public var clears: Bool
    }

    private(set) var entries: [String: Entry] = [:]

    /// An empty table.
    public init() {}

    /// Topics with an entry (clears included).
    public var count: Int { entries.count }

    /// Records a retained publish read from the log (in offset order).
    public mutating func add(topic: String, offset: UInt64, timestampMicroseconds: Int64, clears: Bool) {
        entries[topic] = Entry(offset: offset, timestampMicroseconds: timestampMicroseconds, clears: clears)
    }

    /// Entries whose topic `filter` matches, at most `limit`, in topic order.
    public func matching(_ filter: TopicFilter, limit: Int) -> [(topic: String, entry: Entry)] {
        var found: [(topic: String, entry: Entry)] = []
        for (topic, entry) in entries {
            guard let name = try? TopicName(validating: topic), filter.matches(name) else { continue }
            found.append((topic, entry))
        }
        found.sort { $0.topic < $1.topic }
        return Array(found.prefix(limit))
    }

    /// Of the entries of one topic from several partitions, the one that holds now: the latest by
    /// timestamp, then by partition and offset (every node picks the same one).
    public static func newest(_ candidates: [(partition: Int, entry: Entry)]) -> (partition: Int, entry: Entry)? {
        candidates.max { a, b in
            (a.entry.timestampMicroseconds, a.partition, a.entry.offset) < (b.entry.timestampMicroseconds, b.partition, b.entry.offset)
        }
    }
}
