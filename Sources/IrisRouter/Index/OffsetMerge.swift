/// The union of several topics' offsets in increasing order: a binary min-heap keyed by each
/// cursor's current offset, so each offset out costs O(log k) for k topics. The heap holds small
/// (offset, cursor number) pairs; the cursors stay in place.
struct OffsetMerge: Sendable {
    /// The cursors, in the order given.
    private var cursors: [OffsetCursor]
    /// The heap of (current offset, index in `cursors`) of the cursors not exhausted; the
    /// smallest offset first.
    private var heap: [(offset: UInt64, cursor: Int)]

    /// A merge of `cursors` (each at its first offset to return).
    init(_ cursors: [OffsetCursor]) {
        self.cursors = cursors
        heap = cursors.indices.map { (cursors[$0].current, $0) }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) {
            siftDown(index)
        }
    }

    /// The next offset in increasing order; nil when every cursor is exhausted.
    mutating func next() -> UInt64? {
        guard let (smallest, cursor) = heap.first else { return nil }
        if cursors[cursor].advance() {
            heap[0].offset = cursors[cursor].current
        } else {
            heap.swapAt(0, heap.count - 1)
            heap.removeLast()
        }
        siftDown(0)
        return smallest
    }

    /// Restores the heap order below `start`.
    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let child = right < heap.count && heap[right].offset < heap[left].offset ? right : left
            guard heap[child].offset < heap[parent].offset else { return }
            heap.swapAt(parent, child)
            parent = child
        }
    }
}
