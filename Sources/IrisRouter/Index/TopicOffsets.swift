/// The offsets of one topic's messages in one partition, in increasing order, as delta-encoded
/// blocks: full blocks in `sealed`, the one being appended to in `tail` (kept out of the array
/// so a topic with one block costs no array allocation).
struct TopicOffsets: Sendable {
    /// Full blocks, oldest first.
    private(set) var sealed: [OffsetBlock]
    /// The block new offsets go to.
    private(set) var tail: OffsetBlock
    /// Offsets in all blocks (at least 1).
    private(set) var count: Int

    /// A topic whose only offset is `first`.
    init(first: UInt64) {
        sealed = []
        tail = OffsetBlock(first: first)
        count = 1
    }

    /// The topic's first offset.
    var first: UInt64 { sealed.first?.first ?? tail.first }
    /// The topic's last offset.
    var last: UInt64 { tail.last }
    /// Number of blocks, the tail included.
    var blockCount: Int { sealed.count + 1 }

    /// Block `index`, 0-based from the oldest; the last one is the tail.
    func block(_ index: Int) -> OffsetBlock {
        index < sealed.count ? sealed[index] : tail
    }

    /// Adds `offset`, which must be above `last`.
    mutating func append(_ offset: UInt64) {
        if !tail.append(offset) {
            sealed.append(tail)
            tail = OffsetBlock(first: offset)
        }
        count += 1
    }

    /// Calls `body` with every offset, in increasing order.
    func forEach(_ body: (UInt64) -> Void) {
        for index in 0..<blockCount {
            let block = self.block(index)
            var current = block.first
            var position = 0
            body(current)
            while let next = block.offset(after: current, at: &position) {
                current = next
                body(current)
            }
        }
    }

    /// The first block whose last offset is at least `offset`; nil when `offset` is above `last`.
    func firstBlock(reaching offset: UInt64) -> Int? {
        guard offset <= last else { return nil }
        var low = 0
        var high = sealed.count  // the tail reaches it: the answer is in low...high
        while low < high {
            let middle = (low + high) / 2
            if sealed[middle].last >= offset { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Drops the offsets below `offset`, which must not be above `last`; returns how many went.
    mutating func removeBelow(_ offset: UInt64) -> Int {
        guard let keep = firstBlock(reaching: offset) else {
            preconditionFailure("removing below \(offset) would empty the topic (last \(last))")
        }
        var removed = sealed.prefix(keep).reduce(0) { $0 + $1.count }
        sealed.removeFirst(keep)
        if sealed.isEmpty {
            removed += tail.removeBelow(offset)
        } else {
            removed += sealed[0].removeBelow(offset)
        }
        count -= removed
        return removed
    }

    /// Bytes of heap the blocks take (the sealed array and every block's deltas).
    var estimatedHeapBytes: Int {
        let sealedArray = sealed.capacity == 0 ? 0 : heapObjectHeaderBytes + sealed.capacity * MemoryLayout<OffsetBlock>.stride
        return sealed.reduce(sealedArray + tail.estimatedHeapBytes) { $0 + $1.estimatedHeapBytes }
    }
}
