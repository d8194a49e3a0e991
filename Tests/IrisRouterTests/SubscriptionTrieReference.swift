/// The MQTT 3.1.1 matching rule written directly from the standard (§4.7), over bytes, to check
/// `SubscriptionTrie` against: no trie, no sharing with the code under test.
enum SubscriptionTrieReference {
    /// Whether `filter` matches `topic` [MQTT-4.7.1, 4.7.2-1, 4.7.3-4].
    static func filter(_ filter: String, matches topic: String) -> Bool {
        let filterLevels = levels(filter)
        let topicLevels = levels(topic)
        let wildcardFirst = filterLevels[0] == [plus] || filterLevels[0] == [hash]
        if topic.utf8.first == UInt8(ascii: "$") && wildcardFirst { return false }
        for (index, level) in filterLevels.enumerated() {
            if level == [hash] && index == filterLevels.count - 1 { return true }
            if index >= topicLevels.count { return false }
            if level != [plus] && level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }

    /// Per subscriber, the highest QoS among its filters (UTF-8 bytes) that match `topic`.
    static func matches<S: Hashable>(_ subscriptions: [S: [[UInt8]: UInt8]], topic: String) -> [S: UInt8] {
        var result: [S: UInt8] = [:]
        for (subscriber, filters) in subscriptions {
            for (filter, qos) in filters where self.filter(String(decoding: filter, as: UTF8.self), matches: topic) {
                result[subscriber] = max(result[subscriber] ?? 0, qos)
            }
        }
        return result
    }

    private static func levels(_ text: String) -> [[UInt8]] {
        Array(text.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map(Array.init)
    }

    private static let plus = UInt8(ascii: "+")
    private static let hash = UInt8(ascii: "#")
}
