import PropertyBased
import Testing
@testable import IrisRouter

/// `SubscriptionTrie` against the reference matcher on random filters and topics from a small
/// alphabet: empty levels, `$`, `+`, `#`, and two spellings of "é" that MQTT keeps apart.
struct SubscriptionTriePropertyTests {
    /// Levels of topic names; "é" precomposed and decomposed are different topics [MQTT-4.7.3-4].
    static let topicLevels = ["", "a", "b", "$", "$a", "\u{E9}", "e\u{301}"]
    /// Levels of filters: the topic levels and `+` (a trailing `#` is added separately).
    static let filterLevels = topicLevels + ["+"]

    static let topic = Gen.int(in: 0...(topicLevels.count - 1)).array(of: 1...4)
        .map { $0.map { topicLevels[$0] }.joined(separator: "/") }
    static let filter = zip(Gen.int(in: 0...(filterLevels.count - 1)).array(of: 0...3), Gen.bool)
        .map { indices, endsWithHash in
            let levels = indices.map { filterLevels[$0] } + (endsWithHash || indices.isEmpty ? ["#"] : [])
            return levels.joined(separator: "/")
        }
    /// (kind, subscriber, filter, qos): kind 0...5 inserts, 6...7 removes, 8 removes all.
    static let operation = zip(Gen.int(in: 0...8), Gen.int(in: 0...3), filter, Gen.uint8(in: 0...2))

    @Test func matchesAgreeWithTheReferenceMatcher() async {
        await propertyCheck(count: 300, input: Self.operation.array(of: 0...40), Self.topic.array(of: 1...20)) { operations, topics in
            var trie = SubscriptionTrie<Int>()
            var model: [Int: [[UInt8]: UInt8]] = [:]
            for (kind, subscriber, filter, qos) in operations {
                apply(kind, subscriber, filter, qos, to: &trie, model: &model)
            }
            #expect(trie.count == model.values.reduce(0) { $0 + $1.count })
            for topic in topics {
                #expect(trie.matches(topic: topic) == SubscriptionTrieReference.matches(model, topic: topic), "topic \(topic)")
            }
        }
    }

    /// The trie's shape depends only on the subscriptions it holds: after any history of
    /// operations it has as many nodes as a trie built from the survivors, and removing every
    /// subscriber brings it back to the empty trie.
    @Test func removalPrunesBackToTheShapeOfTheSurvivors() async {
        await propertyCheck(count: 300, input: Self.operation.array(of: 0...40)) { operations in
            var trie = SubscriptionTrie<Int>()
            var model: [Int: [[UInt8]: UInt8]] = [:]
            for (kind, subscriber, filter, qos) in operations {
                apply(kind, subscriber, filter, qos, to: &trie, model: &model)
            }
            var rebuilt = SubscriptionTrie<Int>()
            for (subscriber, filters) in model {
                for (filter, qos) in filters { rebuilt.insert(filter: String(decoding: filter, as: UTF8.self), subscriber: subscriber, qos: qos) }
            }
            #expect(trie.nodeCount == rebuilt.nodeCount)
            for subscriber in model.keys { trie.removeAll(subscriber: subscriber) }
            #expect(trie.count == 0)
            #expect(trie.nodeCount == 1)
            #expect(trie.nodes.count == 1 && trie.freeNodes.isEmpty && trie.placements.isEmpty)
        }
    }

    private func apply(
        _ kind: Int, _ subscriber: Int, _ filter: String, _ qos: UInt8,
        to trie: inout SubscriptionTrie<Int>, model: inout [Int: [[UInt8]: UInt8]]
    ) {
        switch kind {
        case 0...5:
            let replaced = trie.insert(filter: filter, subscriber: subscriber, qos: qos)
            #expect(replaced == (model[subscriber]?[Array(filter.utf8)] != nil))
            model[subscriber, default: [:]][Array(filter.utf8)] = qos
        case 6...7:
            let removed = trie.remove(filter: filter, subscriber: subscriber)
            #expect(removed == (model[subscriber]?.removeValue(forKey: Array(filter.utf8)) != nil))
            if model[subscriber]?.isEmpty == true { model[subscriber] = nil }
        default:
            trie.removeAll(subscriber: subscriber)
            model[subscriber] = nil
        }
    }
}
