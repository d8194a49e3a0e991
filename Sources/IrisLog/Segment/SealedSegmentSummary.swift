/// What the log must know of a segment that is no longer written: where its data ends, the
/// offset after its last record, its last frame's CRC (for the chain) and its newest timestamp.
struct SegmentSummary: Sendable, Equatable {
    var baseOffset: Offset
    var nextOffset: Offset
    var dataEnd: Int
    var lastCRC: UInt32
    var maxTimestamp: Int64
}
