/// What the log must know of a segment that is no longer written: where its data ends, the
/// offset after its last record, its last frame's CRC (for the chain) and its newest timestamp.
package struct SegmentSummary: Sendable, Equatable {
    package var baseOffset: Offset
    package var nextOffset: Offset
    package var dataEnd: Int
    package var lastCRC: UInt32
    package var maxTimestamp: Int64
}
