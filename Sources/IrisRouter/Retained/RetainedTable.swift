import IrisMQTT

/// The retained messages of one partition: per topic, the newest retained publish stored there
/// (SPEC.md §16.5). An empty payload clears the topic; the clear is kept so that a newer clear
/// in one partition hides an older message in another when a subscriber merges partitions.
///
/// Its topics are kept in byte order (`TopicOrder`), so a subscriber reads the entries its filter
/// matches in pages, each resuming after the last topic of the one before.
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
    private var order = TopicOrder()

    /// An empty table.
    public init() {}

    /// Topics with an entry (clears included).
    public var count: Int { entries.count }

    /// Records a retained publish read from the log (in offset order).
    public mutating func add(topic: String, offset: UInt64, timestampMicroseconds: Int64, clears: Bool) {
        let entry = Entry(offset: offset, timestampMicroseconds: timestampMicroseconds, clears: clears)
        if entries.updateValue(entry, forKey: topic) == nil { order.insert(topic) }
    }

    /// Entries whose topic `filter` matches, in byte order of their topics, from the first topic
    /// after `after` (from the start when nil); at most `limit`. Fewer than `limit` means there are
    /// no more. The cost is that of the topics between `after` and the last one returned that
    /// share the filter's literal prefix (its levels before the first wildcard).
    public func matching(_ filter: TopicFilter, after: String?, limit: Int) -> [(topic: String, entry: Entry)] {
        guard limit > 0 else { return [] }
        var found: [(topic: String, entry: Entry)] = []
        order.forEach(after: after, prefix: Self.literalPrefix(of: filter)) { topic in
            guard let entry = entries[topic], let name = try? TopicName(validating: topic), filter.matches(name) else { return true }
            found.append((topic, entry))
            return found.count < limit
        }
        return found
    }

    /// The bytes every topic the filter matches starts with: its levels before the first wildcard
    /// (without the separator before `#`, as `a/#` matches `a`).
    static func literalPrefix(of filter: TopicFilter) -> [UInt8] {
        var prefix: [UInt8] = []
        for level in filter.value.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if level.elementsEqual("+".utf8) || level.elementsEqual("#".utf8) { break }
            prefix += level
            prefix.append(UInt8(ascii: "/"))
        }
        if !prefix.isEmpty { prefix.removeLast() }
        return prefix
    }

    /// Of the entries of one topic from several partitions, the one that holds now: the latest by
    /// timestamp, then by partition and offset (every node picks the same one).
    public static func newest(_ candidates: [(partition: Int, entry: Entry)]) -> (partition: Int, entry: Entry)? {
        candidates.max { a, b in
            (a.entry.timestampMicroseconds, a.partition, a.entry.offset) < (b.entry.timestampMicroseconds, b.partition, b.entry.offset)
        }
    }
}
