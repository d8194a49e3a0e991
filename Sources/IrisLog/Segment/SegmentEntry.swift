/// A segment's open file. Shared by the writer and readers; the descriptor closes when the
/// last holder lets go, so reads in flight survive retention deleting the file.
final class SegmentHandle: Sendable {
    let baseOffset: Offset
    let name: String
    let file: any StorageFile

    init(baseOffset: Offset, name: String, file: any StorageFile) {
        self.baseOffset = baseOffset
        self.name = name
        self.file = file
    }
}

/// A segment as the log tracks it: its file, index and the durable end of its data.
struct SegmentEntry: Sendable {
    let handle: SegmentHandle
    var index: OffsetIndex
    /// `dataEnd` and `nextOffset` cover only data readers may see (durable, or written in
    /// `.none` durability).
    var summary: SegmentSummary
    /// Sealed segments are complete and never written again.
    var sealed: Bool

    var baseOffset: Offset { handle.baseOffset }
}

extension Array where Element == SegmentEntry {
    /// Index of the segment holding `offset`: the last whose base offset is at or below it.
    func segmentIndex(holding offset: Offset) -> Int? {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].baseOffset <= offset { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }
}
