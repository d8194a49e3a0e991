import Testing
@testable import IrisRouter

/// The index at the size issue 11 asks to report: 1,000,000 messages over 10,000 topics, offsets
/// growing by 1 to 3 (100,000 over 1,000 in a debug build, to keep the suite short). It prints bytes
/// per indexed message and the time of the main operations (meaningful in a release build); it
/// asserts only what the index holds, never a time.
struct TopicIndexMeasurementTests {
    #if DEBUG
    static let messages = 100_000
    #else
    static let messages = 1_000_000
    #endif
    /// 100 messages per topic on average, as in the 1,000,000 over 10,000.
    static let topics = messages / 100

    @Test func bytesPerIndexedMessageAndQueryTimes() throws {
        let clock = ContinuousClock()
        var generator = SplitMix64(state: 16)
        var index = TopicIndex()
        var offset: UInt64 = 0
        var perTopic = [Int](repeating: 0, count: Self.topics)
        let adding = clock.measure {
            for _ in 0..<Self.messages {
                offset += UInt64.random(in: 1...3, using: &generator)
                let topic = Int.random(in: 0..<Self.topics, using: &generator)
                perTopic[topic] += 1
                index.add(topic: "sensors/building-\(topic / 100)/room-\(topic % 100)", offset: offset)
            }
        }
        #expect(index.offsetCount == Self.messages && index.topicCount == Self.topics)
        let bytesPerMessage = Double(index.estimatedBytes) / Double(index.offsetCount)

        var one: [UInt64] = []
        let oneTopic = clock.measure {
            one = index.offsets(from: 0, limit: 1_000) { $0 == "sensors/building-0/room-42" }
        }
        #expect(one.count == perTopic[42])
        var page: [UInt64] = []
        let allTopics = clock.measure { page = index.offsets(from: offset / 2, limit: 1_000) { _ in true } }
        #expect(page.count == 1_000 && page == page.sorted())

        var bytes: [UInt8] = []
        let serializing = clock.measure { bytes = index.serialized() }
        var copy = TopicIndex()
        let deserializing = try clock.measure { copy = try TopicIndex(deserializing: bytes) }
        #expect(copy.offsetCount == index.offsetCount)
        print("""
            TopicIndex, \(Self.messages) messages over \(Self.topics) topics, offsets +1..3: \
            \(index.estimatedBytes) bytes in memory (\(bytesPerMessage) bytes per indexed message), \
            \(bytes.count) bytes serialised; add all: \(adding); offsets for one topic among \(Self.topics): \(oneTopic); \
            a page of 1,000 over all topics: \(allTopics); serialise: \(serializing); deserialise: \(deserializing)
            """)
    }
}
