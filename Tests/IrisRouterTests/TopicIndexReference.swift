import Testing
@testable import IrisRouter

/// The topic index as the plainest possible model: every (topic, offset) pair in a list.
struct TopicIndexReference {
    /// Indexed pairs in the order added (so in increasing offset order).
    var entries: [(topic: String, offset: UInt64)] = []

    /// What `TopicIndex.offsets(from:limit:topicMatches:)` must return. Topics compare by bytes.
    func offsets(from: UInt64, limit: Int, topicMatches: (String) -> Bool) -> [UInt64] {
        Array(entries.filter { $0.offset >= from && topicMatches($0.topic) }.map(\.offset).prefix(limit))
    }

    /// Distinct topics, by bytes.
    var topicCount: Int { Set(entries.map { Array($0.topic.utf8) }).count }

    /// Checks `index` against the model for one query, and its counts.
    func expectAgrees(
        _ index: TopicIndex, from: UInt64, limit: Int, sourceLocation: SourceLocation = #_sourceLocation, topicMatches: (String) -> Bool
    ) {
        let expected = offsets(from: from, limit: limit, topicMatches: topicMatches)
        #expect(index.offsets(from: from, limit: limit, topicMatches: topicMatches) == expected, "from \(from) limit \(limit)", sourceLocation: sourceLocation)
        #expect(index.offsetCount == entries.count, sourceLocation: sourceLocation)
        #expect(index.topicCount == topicCount, sourceLocation: sourceLocation)
    }
}

/// A small deterministic generator (SplitMix64) for tests that need many numbers from one seed.
struct SplitMix64: RandomNumberGenerator {
    /// The state.
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
