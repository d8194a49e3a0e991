extension SubscriptionTrie {
    /// Every subscriber with at least one filter matching `topic`, each once, with the highest QoS
    /// among its matching filters [MQTT-3.3.5-1].
    ///
    /// Levels are split on "/" and empty levels are levels; `+` matches one level, `#` the rest
    /// including none ("sport/#" matches "sport"). A topic whose first character is `$` is not
    /// matched by a filter whose first level is `+` or `#` [MQTT-4.7.2-1] ("$SYS/#" matches it).
    /// The cost grows with the topic's levels and the filters that match it, not with the others.
    /// - Parameter topic: a validated topic name (no wildcards).
    /// - Returns: the matching subscribers and the QoS each gets.
    public func matches(topic: String) -> [Subscriber: UInt8] {
        let levels = TopicLevel.levels(of: topic)
        let startsWithDollar = topic.utf8.first == UInt8(ascii: "$")
        var result: [Subscriber: UInt8] = [:]
        // Depth-first over (node, levels consumed); bounded by the nodes on matching paths.
        var pending: [(node: Int, depth: Int)] = [(0, 0)]
        while let (index, depth) = pending.popLast() {
            let node = nodes[index]
            let wildcardsAllowed = depth > 0 || !startsWithDollar
            if wildcardsAllowed {
                collect(node.multiLevelSubscribers, into: &result)
            }
            if depth == levels.count {
                collect(node.subscribers, into: &result)
                continue
            }
            if let named = node.namedChildren[levels[depth]] {
                pending.append((named, depth + 1))
            }
            if wildcardsAllowed, let single = node.singleLevelChild {
                pending.append((single, depth + 1))
            }
        }
        return result
    }

    /// Merges `subscribers` into `result`, keeping the higher QoS of a subscriber found twice.
    private func collect(_ subscribers: [Subscriber: UInt8], into result: inout [Subscriber: UInt8]) {
        for (subscriber, qos) in subscribers {
            result[subscriber] = max(result[subscriber] ?? 0, qos)
        }
    }
}
