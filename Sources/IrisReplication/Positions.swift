import IrisLog

// The protocol names a prefix of the log by its end: `Offset(n)` is the prefix of the first
// n records, IrisLog offsets 0..<n, which is also IrisLog's `nextOffset` after them. So a
// frame is named by its end (`SealedFrame.nextOffset`), `Offset(0)` is the empty prefix, and
// the commit offset is exclusive, like Kafka's high watermark. The record at IrisLog offset
// k is the one "at position k + 1"; `next` and `previous` step between the two views.

extension Offset {
    /// The empty prefix.
    package static let zero = Offset(0)
    /// One record further.
    package var next: Offset { Offset(rawValue + 1) }
    /// One record back; `Offset.zero` stays `Offset.zero`.
    package var previous: Offset { rawValue == 0 ? self : Offset(rawValue - 1) }
}

extension Term {
    /// The term every replica starts in; never carried by a frame the core writes.
    package static let zero = Term(0)
    /// The term after this one.
    package var next: Term { Term(rawValue + 1) }
}

extension SealedFrame {
    /// The prefix the frame completes: its `nextOffset`.
    var end: Offset { nextOffset }
    /// Bytes charged against flow-control budgets for this frame.
    var accountedBytes: Int { bytes.count }
}
