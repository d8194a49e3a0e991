import IrisMQTT
import IrisRouter

/// The harness's answer to retained reads, independent of `RetainedTable`: per topic the latest
/// retained publish the feeds have read (by timestamp, then partition, then offset; an empty
/// payload clears), and pages over the topics in byte order.
struct ModelRetained {
    private var latest: [String: (key: (Int64, Int, UInt64), stored: StoredMessage)] = [:]
    /// The topics of `latest` in byte order; nil when a topic was added since it was sorted.
    private var sortedTopics: [String]? = []

    /// A retained publish read by the feeds.
    mutating func add(_ stored: StoredMessage) {
        let key = (stored.timestampMicroseconds, stored.reference.partition, stored.reference.offset)
        let topic = stored.message.topic.value
        if let current = latest[topic], current.key > key { return }
        if latest.updateValue((key, stored), forKey: topic) == nil { sortedTopics = nil }
    }

    /// Of the topics `filter` matches after `after` in byte order, the first `limit` that hold a message.
    mutating func page(matching filter: TopicFilter, after: String?, limit: Int) -> RetainedPage {
        let topics = sortedTopics ?? latest.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        sortedTopics = topics
        var index = 0
        if let after {
            var high = topics.count
            while index < high {
                let middle = (index + high) / 2
                if after.utf8.lexicographicallyPrecedes(topics[middle].utf8) { high = middle } else { index = middle + 1 }
            }
        }
        var found: [StoredMessage] = []
        while index < topics.count {
            let stored = latest[topics[index]]!.stored
            index += 1
            guard !stored.message.payload.isEmpty, filter.matches(stored.message.topic) else { continue }
            if found.count == limit { return RetainedPage(messages: found, next: found.last!.message.topic.value) }
            found.append(stored)
        }
        return RetainedPage(messages: found, next: nil)
    }
}
