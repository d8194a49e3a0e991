/// A position in one topic's offsets: the current offset and where the next delta starts.
struct OffsetCursor: Sendable {
    /// The topic being read (a copy sharing the index's storage).
    private let topic: TopicOffsets
    /// The block being read.
    private var blockIndex: Int
    /// The current block, cached so that each step does not fetch it again.
    private var block: OffsetBlock
    /// Where the delta after `current` starts in `block.deltas`.
    private var position: Int
    /// The offset the cursor is at.
    private(set) var current: UInt64

    /// A cursor at the first offset of `topic` that is at least `from`; nil when there is none.
    init?(_ topic: TopicOffsets, from: UInt64) {
        guard let blockIndex = topic.firstBlock(reaching: from) else { return nil }
        self.topic = topic
        self.blockIndex = blockIndex
        block = topic.block(blockIndex)
        position = 0
        current = block.first
        // The block reaches `from`, so this stops inside it.
        while current < from, advance() {}
    }

    /// Moves to the next offset; false (and unchanged) at the end of the topic.
    mutating func advance() -> Bool {
        if let next = block.offset(after: current, at: &position) {
            current = next
            return true
        }
        guard blockIndex + 1 < topic.blockCount else { return false }
        blockIndex += 1
        block = topic.block(blockIndex)
        position = 0
        current = block.first
        return true
    }
}
