import IrisMQTT
import IrisRouter

/// Reads the retained messages of a filter across every partition's retained table, one page at a
/// time in topic order: per topic the newest entry holds (`RetainedTable.newest`), and a clear
/// hides the topic (SPEC.md §16.5).
enum RetainedLookup {
    /// The retained messages whose topics `filter` matches, after the topic `after` (from the start
    /// when nil): at most `limit` topics from each partition's table, cut at the lowest last topic
    /// of the tables that had more, so no later page can hold a topic of this one.
    static func page(_ filter: TopicFilter, after: String?, limit: Int, in feeds: [PartitionFeed]) async -> RetainedPage {
        var byTopic: [String: [(partition: Int, entry: RetainedTable.Entry)]] = [:]
        var bound: String?
        for feed in feeds {
            let found = feed.retained(matching: filter, after: after, limit: limit)
            for (topic, entry) in found { byTopic[topic, default: []].append((feed.partition, entry)) }
            if found.count == limit, let last = found.last?.topic, bound.map({ precedes(last, $0) }) ?? true { bound = last }
        }
        var offsets: [Int: [UInt64]] = [:]
        var chosen: [(topic: String, reference: MessageReference)] = []
        for (topic, candidates) in byTopic where bound.map({ !precedes($0, topic) }) ?? true {
            guard let newest = RetainedTable.newest(candidates), !newest.entry.clears else { continue }
            offsets[newest.partition, default: []].append(newest.entry.offset)
            chosen.append((topic, MessageReference(partition: newest.partition, offset: newest.entry.offset)))
        }
        var read: [MessageReference: StoredMessage] = [:]
        for (partition, group) in offsets {
            for stored in await feeds[partition].messages(at: group.sorted()) { read[stored.reference] = stored }
        }
        let messages = chosen.sorted { precedes($0.topic, $1.topic) }.compactMap { read[$0.reference] }
        return RetainedPage(messages: messages, next: bound)
    }

    private static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
