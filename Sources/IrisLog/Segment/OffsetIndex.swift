/// The sparse index of one segment: an entry (relative offset, byte position) for a frame
/// start roughly every `intervalBytes` of log; SPEC.md §4. Derived data: rebuilt from the
/// segment whenever missing or inconsistent, never trusted over the log.
package struct OffsetIndex: Sendable, Equatable {
    package let baseOffset: Offset
    let intervalBytes: Int
    /// Entries packed as (relative offset << 32) | position, increasing in both.
    package private(set) var entries: [UInt64] = []
    private var lastIndexedPosition = 0

    init(baseOffset: Offset, intervalBytes: Int) {
        precondition(intervalBytes > 0)
        self.baseOffset = baseOffset
        self.intervalBytes = intervalBytes
    }

    var count: Int { entries.count }

    /// Records a frame that starts at `position`; adds an entry when the interval has passed.
    mutating func frameWritten(baseOffset frameOffset: Offset, position: Int) {
        guard position - lastIndexedPosition >= intervalBytes else { return }
        let relative = frameOffset.rawValue - baseOffset.rawValue
        precondition(relative <= UInt64(UInt32.max) && position <= Int(UInt32.max))
        precondition(entries.last.map { UInt64($0 >> 32) < relative } ?? true, "index entries must increase")
        entries.append(relative << 32 | UInt64(position))
        lastIndexedPosition = position
    }

    /// Position of the latest indexed frame at or before `offset` (0 when none is).
    package func position(before offset: Offset) -> Int {
        precondition(offset >= baseOffset)
        let relative = offset.rawValue - baseOffset.rawValue
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle] >> 32 <= relative { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? 0 : Int(entries[low - 1] & 0xFFFF_FFFF)
    }

    /// Drops entries at or after `position` (after truncation).
    mutating func truncate(before position: Int) {
        while let last = entries.last, Int(last & 0xFFFF_FFFF) >= position { entries.removeLast() }
        lastIndexedPosition = entries.last.map { Int($0 & 0xFFFF_FFFF) } ?? 0
    }

    /// Rebuilds from entries an index file held, which `IndexFile.decode` has checked.
    init(baseOffset: Offset, intervalBytes: Int, checkedEntries: [UInt64]) {
        self.init(baseOffset: baseOffset, intervalBytes: intervalBytes)
        precondition(zip(checkedEntries, checkedEntries.dropFirst()).allSatisfy { $0 < $1 }, "index entries must increase")
        entries = checkedEntries
        lastIndexedPosition = entries.last.map { Int($0 & 0xFFFF_FFFF) } ?? 0
    }
}
