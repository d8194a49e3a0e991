import Testing
@testable import IrisRouter

/// `TopicIndex` on topics long enough to fill many 4 KiB blocks (SPEC.md §16.1).
struct TopicIndexTests {
    /// Builds 3 topics of ~20,000 offsets each with deltas of up to 3 bytes, so each has a
    /// dozen sealed blocks, and the list model of the same.
    static func manyBlocks() -> (TopicIndex, TopicIndexReference) {
        var generator = SplitMix64(state: 11)
        var index = TopicIndex()
        var reference = TopicIndexReference()
        var offset: UInt64 = 1_000
        for _ in 0..<60_000 {
            offset += UInt64.random(in: 1...40_000, using: &generator)
            let topic = ["x", "y", "z"][Int.random(in: 0...2, using: &generator)]
            index.add(topic: topic, offset: offset)
            reference.entries.append((topic, offset))
        }
        return (index, reference)
    }

    @Test func queriesStartInsideAnyBlockAndCrossBlocks() throws {
        let (index, reference) = Self.manyBlocks()
        let blocks = index.topics[IndexedTopic(text: "x")]!.blockCount
        #expect(blocks > 10)
        var generator = SplitMix64(state: 12)
        for _ in 0..<200 {
            let from = UInt64.random(in: 0...(index.lastOffset! + 1), using: &generator)
            let limit = Int.random(in: 0...3_000, using: &generator)
            reference.expectAgrees(index, from: from, limit: limit) { $0 != "y" }
        }
        reference.expectAgrees(index, from: index.lastOffset! + 1, limit: 10) { _ in true }
    }

    @Test func removeBelowDropsWholeBlocksAndTrimsTheFirstKept() throws {
        var (index, reference) = Self.manyBlocks()
        let blocksBefore = index.topics[IndexedTopic(text: "z")]!.blockCount
        for fraction in [0.1, 0.35, 0.35, 0.8] {
            let point = UInt64(Double(index.lastOffset!) * fraction)
            index.removeBelow(point)
            reference.entries.removeAll { $0.offset < point }
            reference.expectAgrees(index, from: 0, limit: .max) { _ in true }
            reference.expectAgrees(index, from: point + 5_000, limit: 500) { $0 == "z" }
        }
        #expect(index.topics[IndexedTopic(text: "z")]!.blockCount < blocksBefore)
        let copy = try TopicIndex(deserializing: index.serialized())
        reference.expectAgrees(copy, from: 0, limit: .max) { _ in true }
        index.removeBelow(index.lastOffset! + 1)
        #expect(index.topicCount == 0 && index.offsetCount == 0)
        index.add(topic: "x", offset: index.lastOffset! + 1)
        #expect(index.offsetCount == 1)
    }

    /// Topics differing only in Unicode normalisation are different topics [MQTT-4.7.3-4].
    @Test func topicsAreComparedWithoutNormalisation() {
        var index = TopicIndex()
        index.add(topic: "caf\u{E9}", offset: 1)
        index.add(topic: "cafe\u{301}", offset: 2)
        #expect(index.topicCount == 2)
        #expect(index.offsets(from: 0, limit: 10) { $0.utf8.elementsEqual("cafe\u{301}".utf8) } == [2])
    }

    /// The predicate is asked once per topic per call, whatever the number of offsets.
    @Test func eachTopicNameIsTestedOncePerCall() {
        var index = TopicIndex()
        for offset in UInt64(1)...1_000 { index.add(topic: "t\(offset % 7)", offset: offset) }
        var asked: [String] = []
        let result = index.offsets(from: 0, limit: 1_000) { asked.append($0); return $0 == "t3" }
        #expect(asked.sorted() == (0..<7).map { "t\($0)" })
        #expect(result == Array(stride(from: 3, through: 1_000, by: 7)))
    }

    /// The estimate counts what grows: more offsets on the same topics cost more bytes.
    @Test func estimatedBytesGrowsWithTheOffsets() {
        var index = TopicIndex()
        let empty = index.estimatedBytes
        for offset in UInt64(1)...10_000 { index.add(topic: "topic/\(offset % 10)", offset: offset * 300) }
        let small = index.estimatedBytes
        for offset in UInt64(10_001)...100_000 { index.add(topic: "topic/\(offset % 10)", offset: offset * 300) }
        #expect(empty < small)
        // 90,000 more offsets with 3,000-apart deltas (2 bytes each) cost at least 180,000 bytes.
        #expect(index.estimatedBytes - small >= 180_000)
    }
}
