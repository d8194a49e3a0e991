/// Finds an offset indexed under two topics, which a valid index never has (every offset is one
/// record, on one topic). Used when reading a serialised index; linear in the offsets when they
/// are dense in their range, O(n log n) otherwise.
enum OffsetUniqueness {
    /// An offset that appears in more than one of `topics`; nil when there is none.
    /// - Parameters:
    ///   - topics: the topics' offsets, each strictly increasing.
    ///   - offsetCount: their total number.
    static func sharedOffset(in topics: some Collection<TopicOffsets>, offsetCount: Int) -> UInt64? {
        guard let lowest = topics.map(\.first).min(), let highest = topics.map(\.last).max() else { return nil }
        let span = highest - lowest
        // A bitmap of the range costs at most 8 bytes per offset when the range is below 64 per
        // offset (the usual case: messages are most of a partition's records); else sort.
        if span / 64 < UInt64(offsetCount) {
            return sharedOffsetByBitmap(topics, lowest: lowest, words: Int(span / 64) + 1)
        }
        return sharedOffsetBySorting(topics, offsetCount: offsetCount)
    }

    /// One bit per offset of the range from `lowest`.
    private static func sharedOffsetByBitmap(_ topics: some Collection<TopicOffsets>, lowest: UInt64, words: Int) -> UInt64? {
        var bits = [UInt64](repeating: 0, count: words)
        var shared: UInt64?
        for topic in topics where shared == nil {
            topic.forEach { offset in
                let bit = offset - lowest
                let (word, mask) = (Int(bit / 64), UInt64(1) << (bit % 64))
                if bits[word] & mask != 0 { shared = offset }
                bits[word] |= mask
            }
        }
        return shared
    }

    /// Every offset in one array, sorted, then neighbours compared.
    private static func sharedOffsetBySorting(_ topics: some Collection<TopicOffsets>, offsetCount: Int) -> UInt64? {
        var all: [UInt64] = []
        all.reserveCapacity(offsetCount)
        for topic in topics {
            topic.forEach { all.append($0) }
        }
        all.sort()
        return zip(all, all.dropFirst()).first { $0 == $1 }?.0
    }
}
