import IrisMQTT
import IrisRouter

/// Finds the retained messages for new subscriptions across every partition's retained table:
/// per topic the newest entry holds (`RetainedTable.newest`), and a clear hides the topic.
enum RetainedLookup {
    /// Most retained messages sent for one SUBSCRIBE (per filter); the rest are left out with
    /// a log line (streaming pages through the outbox is future work, SPEC.md §16.5).
    static let perFilterMax = 10_000

    static func find(_ subscriptions: [Subscription], in feeds: [PartitionFeed]) async -> (messages: [StoredMessage], granted: [QoS]) {
        var messages: [StoredMessage] = []
        var granted: [QoS] = []
        for subscription in subscriptions {
            var byTopic: [String: [(partition: Int, entry: RetainedTable.Entry)]] = [:]
            for feed in feeds {
                for (topic, entry) in feed.retained(matching: subscription.filter, limit: perFilterMax) {
                    byTopic[topic, default: []].append((feed.partition, entry))
                }
            }
            for topic in byTopic.keys.sorted() {
                guard let newest = RetainedTable.newest(byTopic[topic]!), !newest.entry.clears else { continue }
                for stored in await feeds[newest.partition].messages(at: [newest.entry.offset]) {
                    messages.append(stored)
                    granted.append(subscription.qos)
                }
            }
        }
        return (messages, granted)
    }
}
