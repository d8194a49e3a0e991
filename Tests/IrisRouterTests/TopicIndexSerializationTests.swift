import PropertyBased
import Testing
@testable import IrisRouter

/// `TopicIndex.serialized()` and the strict `init(deserializing:)` (SPEC.md §16.1).
struct TopicIndexSerializationTests {
    /// A small index: three topics (one with a name stored out of line), gaps of 1 to 3 bytes.
    static let sample: TopicIndex = {
        var index = TopicIndex()
        var offset: UInt64 = 5
        for step in 0..<300 {
            offset += UInt64(step * step % 20_000 + 1)
            index.add(topic: ["a", "b/c", "a rather long topic name"][step % 3], offset: offset)
        }
        return index
    }()

    @Test func roundTripKeepsEveryOffsetAndTheLastOffset() throws {
        var index = Self.sample
        index.removeBelow(40_000)
        let copy = try TopicIndex(deserializing: index.serialized())
        #expect(copy.offsets(from: 0, limit: .max) { _ in true } == index.offsets(from: 0, limit: .max) { _ in true })
        #expect(copy.lastOffset == index.lastOffset && copy.topicCount == 3)
        #expect(try TopicIndex(deserializing: TopicIndex().serialized()).lastOffset == nil)
        index.removeBelow(index.lastOffset! + 1)
        let emptied = try TopicIndex(deserializing: index.serialized())
        #expect(emptied.topicCount == 0 && emptied.lastOffset == index.lastOffset)
    }

    /// Random byte changes and truncations: every input either throws or is the canonical
    /// form of the index it decodes to; none traps. Truncations always throw.
    @Test func damagedInputThrowsAndNeverTraps() async {
        let bytes = Self.sample.serialized()
        let mutation = zip(Gen.int(in: 0...(bytes.count - 1)), Gen.uint8(), Gen.int(in: 0...2))
        await propertyCheck(count: 3_000, input: mutation) { position, value, kind in
            var damaged = bytes
            switch kind {
            case 0: damaged[position] = value
            case 1: damaged[position] ^= 1 << (value % 8)
            default: damaged.removeLast(bytes.count - position)
            }
            do {
                let decoded = try TopicIndex(deserializing: damaged)
                #expect(kind != 2, "a truncation to \(position) bytes was accepted")
                #expect(decoded.serialized() == damaged)
            } catch {
                #expect(damaged != bytes)
            }
        }
    }

    @Test func headerErrorsNameTheProblem() {
        var bytes = Self.sample.serialized()
        bytes[0] = UInt8(ascii: "X")
        #expect(throws: TopicIndexError.notATopicIndex) { try TopicIndex(deserializing: bytes) }
        bytes = Self.sample.serialized()
        bytes[4] = 2
        #expect(throws: TopicIndexError.unsupportedVersion(2)) { try TopicIndex(deserializing: bytes) }
        #expect(throws: TopicIndexError.truncated(position: 0)) { try TopicIndex(deserializing: []) }
    }

    /// Hand-built inputs that are well formed field by field but not an index `serialized()` writes.
    @Test(arguments: [
        // Offset 2 under both "a" and "b" (offsets dense in their range: found by the bitmap).
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 3, 1, 0x61, 2, 1, 1, 1, 0x62, 1, 2], "offset 2 indexed under two topics"),
        // Offset 2^40 under both (three offsets spread over 2^40: found by sorting).
        ([1, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 1, 0x61, 2, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 1, 0x62, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
         "offset 1099511627776 indexed under two topics"),
        // A delta of zero.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 0x61, 2, 1, 0], "offsets not strictly increasing"),
        // The delta 1 written in two bytes.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 0x61, 2, 1, 0x81, 0x00], "varint not in its shortest form"),
        // Names out of order.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 2, 2, 1, 0x62, 1, 1, 1, 0x61, 1, 2], "topic names not in strictly increasing byte order"),
        // An offset above the last offset.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0x61, 1, 3], "offset 3 above the last offset 2"),
        // A name that is not UTF-8.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0xFF, 1, 1], "topic name is not valid UTF-8"),
        // A declared offset count that the topics do not hold.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 0x61, 1, 1], "offset count 2, but the topics hold 1"),
        // Bytes after the last topic.
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0x61, 1, 1, 0], "1 bytes after the last topic"),
    ] as [([UInt8], String)])
    func malformedLayoutsAreRefused(body: [UInt8], detail: String) {
        let bytes = TopicIndex.magic + [TopicIndex.serializedVersion] + body
        do {
            _ = try TopicIndex(deserializing: bytes)
            Issue.record("accepted \(bytes)")
        } catch {
            guard case .malformed(_, let found) = error else {
                Issue.record("expected a malformed layout, got \(error)")
                return
            }
            #expect(found == detail)
        }
    }
}
