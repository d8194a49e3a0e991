/// A run of one topic's offsets: the first one plain, the others as LEB128 deltas from their
/// predecessor in at most `deltaBytesMax` bytes. The plain `first` and `last` let a lookup skip a
/// block without decoding it.
struct OffsetBlock: Sendable {
    /// Bytes of deltas a block holds at most (4 KiB); the next offset starts a new block.
    static let deltaBytesMax = 4_096

    /// The block's first offset.
    private(set) var first: UInt64
    /// The block's last offset.
    private(set) var last: UInt64
    /// Offsets in the block (at least 1).
    private(set) var count: Int
    /// LEB128 deltas of the offsets after `first`, each ≥ 1.
    private(set) var deltas: [UInt8]

    /// A block holding `first` alone.
    init(first: UInt64) {
        self.first = first
        last = first
        count = 1
        deltas = []
    }

    /// Adds `offset` (above `last`) if its delta fits; false when the block is full.
    mutating func append(_ offset: UInt64) -> Bool {
        precondition(offset > last, "offset \(offset) is not above the block's last \(last)")
        let delta = offset - last
        let size = LEB128.size(of: delta)
        guard deltas.count + size <= Self.deltaBytesMax else { return false }
        if deltas.count + size > deltas.capacity {
            // Grows by a quarter rather than doubling: most topics' blocks are never full, so the
            // slack of the last growth is what they waste (measured: 1 byte per offset at 2x).
            deltas.reserveCapacity(min(Self.deltaBytesMax, deltas.count + size + max(16, deltas.count / 4)))
        }
        LEB128.append(delta, to: &deltas)
        last = offset
        count += 1
        return true
    }

    /// The offset after `current`, which sits just before `position` in `deltas`; nil at the end.
    func offset(after current: UInt64, at position: inout Int) -> UInt64? {
        guard position < deltas.count else { return nil }
        return current + LEB128.decodeTrusted(deltas, at: &position)
    }

    /// Drops the offsets below `offset`, which must not be above `last`; returns how many went.
    mutating func removeBelow(_ offset: UInt64) -> Int {
        precondition(offset <= last, "removing below \(offset) would empty the block (last \(last))")
        var position = 0
        var current = first
        var removed = 0
        while current < offset, let next = self.offset(after: current, at: &position) {
            current = next
            removed += 1
        }
        guard removed > 0 else { return 0 }
        first = current
        count -= removed
        deltas = Array(deltas[position...])
        return removed
    }

    /// Bytes of heap the deltas take (their array's capacity and header).
    var estimatedHeapBytes: Int {
        deltas.capacity == 0 ? 0 : heapObjectHeaderBytes + deltas.capacity
    }
}

/// The header of a Swift array, dictionary or string heap object on 64-bit Linux: metadata
/// pointer, reference count, count and capacity.
let heapObjectHeaderBytes = 32
