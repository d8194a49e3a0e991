/// The union of several topics' offsets in increasing order: a binary min-heap of cursors keyed
/// by their current offset, so each offset out costs O(log k) for k topics.
struct OffsetMerge: Sendable {
    /// The heap: `cursors[0]` holds the smallest current offset.
    private var cursors: [OffsetCursor]

    /// A merge of `cursors` (each at its first offset to return).
    init(_ cursors: [OffsetCursor]) {
        self.cursors = cursors
        for index in stride(from: cursors.count / 2 - 1, through: 0, by: -1) {
            siftDown(index)
        }
    }

    /// The next offset in increasing order; nil when every cursor is exhausted.
    mutating func next() -> UInt64? {
        guard let smallest = cursors.first?.current else { return nil }
        if !cursors[0].advance() {
            cursors.swapAt(0, cursors.count - 1)
            cursors.removeLast()
        }
        siftDown(0)
        return smallest
    }

    /// Restores the heap order below `start`.
    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < cursors.count else { return }
            let right = left + 1
            let child = right < cursors.count && cursors[right].current < cursors[left].current ? right : left
            guard cursors[child].current < cursors[parent].current else { return }
            cursors.swapAt(parent, child)
            parent = child
        }
    }
}
