/// The compact index over one partition's log that lets a session catch up on its filters by
/// reading only the matching records (SPEC.md §16.1, issue 11 "store once, cursor per session").
///
/// Per distinct topic it keeps the offsets of the message records on that topic, in increasing
/// order, as LEB128 deltas in blocks of at most 4 KiB whose first and last offsets are plain. It
/// also keeps the last offset indexed. A value: the router's partition owner holds it and
/// rebuilds it from the log or from its checkpoint (`serialized()`).
public struct TopicIndex: Sendable {
    /// Offsets per topic.
    var topics: [IndexedTopic: TopicOffsets]
    /// Number of offsets indexed (over all topics).
    public internal(set) var offsetCount: Int
    /// The highest offset ever added (kept when `removeBelow` drops it); nil before the first add.
    public internal(set) var lastOffset: UInt64?

    /// An empty index.
    public init() {
        topics = [:]
        offsetCount = 0
        lastOffset = nil
    }

    /// Number of topics with at least one indexed offset.
    public var topicCount: Int { topics.count }

    /// Indexes a message record.
    /// - Parameters:
    ///   - topic: the record's topic name, compared byte for byte (no Unicode normalisation).
    ///   - offset: the record's offset; it must be above every offset added before (precondition:
    ///     the log appends in increasing offset order).
    public mutating func add(topic: String, offset: UInt64) {
        if let lastOffset {
            precondition(offset > lastOffset, "offset \(offset) is not above the last indexed offset \(lastOffset)")
        }
        let name = IndexedTopic(text: topic)
        if topics[name]?.append(offset) == nil {
            topics[name] = TopicOffsets(first: offset)
        }
        offsetCount += 1
        lastOffset = offset
    }

    /// The offsets at or above `from` of the messages whose topic `topicMatches` accepts, in
    /// increasing order, at most `limit` of them.
    ///
    /// Each topic name is tested at most once per call (not at all when its last offset is below
    /// `from`); only accepted topics are read, each from its first block that reaches `from`, and
    /// merged through a heap (O(log k) per offset for k accepted topics).
    /// - Parameters:
    ///   - from: the lowest offset wanted (a session's cursor).
    ///   - limit: the most offsets returned (≥ 0): a page of catch-up.
    ///   - topicMatches: whether a topic is wanted, e.g. built from the session's filters.
    public func offsets(from: UInt64, limit: Int, topicMatches: (String) -> Bool) -> [UInt64] {
        precondition(limit >= 0, "limit \(limit) is negative")
        guard limit > 0 else { return [] }
        var cursors: [OffsetCursor] = []
        for (name, offsets) in topics where offsets.last >= from && topicMatches(name.text) {
            if let cursor = OffsetCursor(offsets, from: from) { cursors.append(cursor) }
        }
        var merge = OffsetMerge(cursors)
        var result: [UInt64] = []
        while result.count < limit, let offset = merge.next() {
            result.append(offset)
        }
        return result
    }

    /// Drops every offset below `offset` (retention removed the segments that held them); topics
    /// left without offsets go. `lastOffset` stays, so later adds must still be above it.
    public mutating func removeBelow(_ offset: UInt64) {
        // Walks by index and trims in place: iterating over `topics` while mutating it would
        // copy the whole dictionary.
        var emptied: [IndexedTopic] = []
        var index = topics.startIndex
        while index != topics.endIndex {
            // Scalars only: a copy of the topic held across the trim would make it copy its arrays.
            let (first, last, count) = (topics.values[index].first, topics.values[index].last, topics.values[index].count)
            if last < offset {
                emptied.append(topics.keys[index])
                offsetCount -= count
            } else if first < offset {
                offsetCount -= topics.values[index].removeBelow(offset)
            }
            index = topics.index(after: index)
        }
        for name in emptied {
            topics[name] = nil
        }
    }

    /// Bytes of memory the index holds for offsets and topic names: the dictionary's buckets
    /// (at its capacity, with the 3/4 maximum load factor), names longer than the 15 bytes Swift
    /// stores inline, and every block array at its capacity. Takes time linear in the topics.
    public var estimatedBytes: Int {
        let buckets = topics.capacity == 0 ? 0 : (topics.capacity * 4 + 2) / 3
        let bucketBytes = MemoryLayout<IndexedTopic>.stride + MemoryLayout<TopicOffsets>.stride
        let table = buckets == 0 ? 0 : heapObjectHeaderBytes + buckets * bucketBytes + (buckets + 7) / 8
        return topics.reduce(MemoryLayout<TopicIndex>.size + table) { total, entry in
            total + entry.key.estimatedHeapBytes + entry.value.estimatedHeapBytes
        }
    }
}
