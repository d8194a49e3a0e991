import IrisMQTT
import IrisRouter
import Testing

/// `RetainedTable` read in pages: what the pages hold together is exactly what the filter matches,
/// in byte order of topics, however the topics were added and however large the pages.
@Suite struct RetainedTableTests {
    static let levels = ["a", "b", "ab", "", "é", "$SYS", "z"]
    static let filters = ["#", "a/#", "a", "+/b", "a/+", "ab/#", "+", "$SYS/#", "+/+/z", "é/#", "/#", "a//b"]

    /// Everything `filter` matches, read `limit` at a time.
    static func paged(_ table: RetainedTable, _ filter: TopicFilter, limit: Int) -> [String] {
        var topics: [String] = []
        var after: String?
        for _ in 0..<100_000 {
            let page = table.matching(filter, after: after, limit: limit)
            topics += page.map(\.topic)
            guard page.count == limit, let last = page.last else { break }
            after = last.topic
        }
        return topics
    }

    @Test(arguments: 1...20)
    func pagesTogetherAreEveryMatchInByteOrder(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var table = RetainedTable()
        var names: Set<String> = []
        // Up to a few thousand topics, so the unsorted run is merged several times.
        for offset in 0..<UInt64(Int.random(in: 1...3_000, using: &random)) {
            let depth = Int.random(in: 1...3, using: &random)
            let name = (0..<depth).map { _ in Self.levels.randomElement(using: &random)! }.joined(separator: "/") + (random.chance(50) ? "\(offset % 97)" : "")
            guard !name.isEmpty else { continue }
            names.insert(name)
            table.add(topic: name, offset: offset, timestampMicroseconds: Int64(offset), clears: random.chance(10))
        }
        #expect(table.count == names.count)
        for text in Self.filters {
            let topicFilter = filter(text)
            let expected = names.filter { topicFilter.matches(topic($0)) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let limit = Int.random(in: 1...50, using: &random)
            #expect(Self.paged(table, topicFilter, limit: limit) == expected, "filter \(text), pages of \(limit)")
        }
    }

    @Test func entriesHoldTheNewestPublishAndClears() {
        var table = RetainedTable()
        table.add(topic: "a/b", offset: 1, timestampMicroseconds: 10, clears: false)
        table.add(topic: "a/c", offset: 2, timestampMicroseconds: 11, clears: false)
        table.add(topic: "a/b", offset: 3, timestampMicroseconds: 12, clears: true)
        let found = table.matching(filter("a/+"), after: nil, limit: 10)
        #expect(found.map(\.topic) == ["a/b", "a/c"])
        #expect(found.map(\.entry.offset) == [3, 2])
        #expect(found.map(\.entry.clears) == [true, false])
        #expect(table.matching(filter("a/+"), after: "a/b", limit: 10).map(\.topic) == ["a/c"])
        #expect(table.matching(filter("a/+"), after: "a/c", limit: 10).isEmpty)
        #expect(table.matching(filter("#"), after: nil, limit: 0).isEmpty)
    }
}
