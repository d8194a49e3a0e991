import IrisLog

extension LogConfiguration {
    /// Room left in a segment beside a largest batch: its frame's header and the 64 bytes of
    /// encoding slack that `frameBytesMax` allows (48 + 64), rounded up.
    static let frameOverheadBytes = 128
    /// A record's encoded bytes beyond its value, at most: length varints, timestamp delta,
    /// key and header counts.
    static let recordOverheadBytes = 64

    /// Sets the segment size of a log a tool opens for writing (its active segment's size, or
    /// the operator's choice) and lowers the batch and record limits to fit: a largest frame
    /// must fit in one segment (`validate()`), and a largest record in a batch.
    package mutating func fitToSegmentSize(_ bytes: Int) {
        segmentSizeBytes = bytes
        batchBytesMax = min(batchBytesMax, bytes - Self.frameOverheadBytes)
        recordBytesMax = min(recordBytesMax, batchBytesMax - Self.recordOverheadBytes)
    }
}
