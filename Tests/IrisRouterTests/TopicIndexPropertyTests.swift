import PropertyBased
import Testing
@testable import IrisRouter

/// `TopicIndex` against the list model under random adds, removals, queries and round trips.
struct TopicIndexPropertyTests {
    /// Topics, with two spellings of "é" that MQTT keeps apart and one name too long to be inline.
    static let topicNames = ["a", "a/b", "$SYS/x", "caf\u{E9}", "cafe\u{301}", String(repeating: "long/", count: 5)]
    /// (kind, topic, amount, mask): kind 0...5 adds `topic` `amount` above the last offset, 6
    /// removes below (last − amount), 7 queries topics in `mask` from (last − amount), 8 replaces
    /// the index by its deserialised copy.
    static let operation = zip(Gen.int(in: 0...8), Gen.int(in: 0...(topicNames.count - 1)), Gen.int(in: 1...400), Gen.int(in: 0...63))

    @Test func offsetsAgreeWithTheListModel() async {
        await propertyCheck(count: 200, input: Self.operation.array(of: 0...120)) { operations in
            var index = TopicIndex()
            var reference = TopicIndexReference()
            for (kind, topic, amount, mask) in operations {
                let last = reference.entries.last?.offset ?? index.lastOffset ?? 0
                let below = last > UInt64(amount) ? last - UInt64(amount) : 0
                switch kind {
                case 0...5:
                    let offset = (index.lastOffset ?? 0) + UInt64(amount)
                    index.add(topic: Self.topicNames[topic], offset: offset)
                    reference.entries.append((Self.topicNames[topic], offset))
                case 6:
                    index.removeBelow(below)
                    reference.entries.removeAll { $0.offset < below }
                case 7:
                    let wanted = Self.topics(in: mask)
                    reference.expectAgrees(index, from: below, limit: amount % 40) { wanted($0) }
                default:
                    let copy = try TopicIndex(deserializing: index.serialized())
                    #expect(copy.serialized() == index.serialized())
                    #expect(copy.lastOffset == index.lastOffset)
                    index = copy
                }
            }
            reference.expectAgrees(index, from: 0, limit: .max) { _ in true }
            for bit in Self.topicNames.indices {
                reference.expectAgrees(index, from: 0, limit: .max, topicMatches: Self.topics(in: 1 << bit))
            }
        }
    }

    /// A predicate accepting the topics whose bit is set in `mask`, comparing names by bytes.
    static func topics(in mask: Int) -> (String) -> Bool {
        { topic in
            topicNames.indices.contains { mask & (1 << $0) != 0 && topicNames[$0].utf8.elementsEqual(topic.utf8) }
        }
    }
}
