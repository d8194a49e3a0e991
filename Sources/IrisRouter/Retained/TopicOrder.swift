/// A set of topics walked in byte order (UTF-8 bytes compared as unsigned, no Unicode
/// normalisation: SPEC.md §16.6), for paging through a retained table.
///
/// New topics join a small unsorted run that is merged into the sorted array once it holds an
/// eighth of it (at least 256), so adding costs O(log n) amortised and a walk merges the run on the fly.
struct TopicOrder: Sendable {
    private var sorted: [String] = []
    private var recent: [String] = []

    /// Adds a topic not in the set.
    mutating func insert(_ topic: String) {
        recent.append(topic)
        guard recent.count >= max(256, sorted.count / 8) else { return }
        recent.sort(by: Self.precedes)
        var merged: [String] = []
        merged.reserveCapacity(sorted.count + recent.count)
        var i = 0
        var j = 0
        while i < sorted.count || j < recent.count {
            if j == recent.count || (i < sorted.count && Self.precedes(sorted[i], recent[j])) {
                merged.append(sorted[i])
                i += 1
            } else {
                merged.append(recent[j])
                j += 1
            }
        }
        sorted = merged
        recent = []
    }

    /// Calls `body` with each topic that starts with `prefix` and comes after `after` (every one
    /// from the first when nil), in byte order, until it returns false.
    func forEach(after: String?, prefix: [UInt8], _ body: (String) -> Bool) {
        let start = after.map { Array($0.utf8) }.map { Self.precedes(prefix, $0) ? $0 : prefix } ?? prefix
        let strict = after.map { Array($0.utf8) == start } ?? false
        let inRange = { (topic: String) -> Bool in
            strict ? Self.precedes(start, Array(topic.utf8)) : !Self.precedes(Array(topic.utf8), start)
        }
        let pending = recent.filter { inRange($0) && $0.utf8.starts(with: prefix) }.sorted(by: Self.precedes)
        var i = firstIndex(in: sorted, where: inRange)
        var j = 0
        while i < sorted.count || j < pending.count {
            let topic: String
            if j == pending.count || (i < sorted.count && Self.precedes(sorted[i], pending[j])) {
                topic = sorted[i]
                i += 1
                // Past the topics with the prefix: they are contiguous in byte order.
                guard topic.utf8.starts(with: prefix) else {
                    i = sorted.count
                    continue
                }
            } else {
                topic = pending[j]
                j += 1
            }
            if !body(topic) { return }
        }
    }

    /// The first index of `topics` (sorted) whose topic is in the range `inRange` tells (a suffix).
    private func firstIndex(in topics: [String], where inRange: (String) -> Bool) -> Int {
        var low = 0
        var high = topics.count
        while low < high {
            let middle = (low + high) / 2
            if inRange(topics[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }

    static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool { a.lexicographicallyPrecedes(b) }
}
