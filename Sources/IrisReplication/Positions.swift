import IrisLog

// The protocol names a prefix of the log by its end, a `LogEnd`: `LogEnd(n)` is the prefix of
// the first n records, IrisLog offsets 0..<n, which is also IrisLog's `nextOffset` after them.
// So a frame is named by its end (`SealedFrame.end`), `LogEnd.zero` is the empty prefix, and
// the commit position is exclusive, like Kafka's high watermark. A record keeps its IrisLog
// `Offset`; the conversions (`LogEnd(before:)`, `nextRecord`) are written where the two meet.

extension LogEnd {
    /// One record further.
    package var next: LogEnd { LogEnd(rawValue + 1) }
    /// One record back; `LogEnd.zero` stays `LogEnd.zero`.
    package var previous: LogEnd { rawValue == 0 ? self : LogEnd(rawValue - 1) }
}

extension Term {
    /// The term every replica starts in; never carried by a frame the core writes.
    package static let zero = Term(0)
    /// The term after this one.
    package var next: Term { Term(rawValue + 1) }
}

extension SealedFrame {
    /// The prefix the frame completes: its `nextOffset`.
    package var end: LogEnd { LogEnd(before: nextOffset) }
    /// The prefix the frame follows: its `baseOffset`.
    package var start: LogEnd { LogEnd(before: baseOffset) }
    /// Bytes charged against flow-control budgets for this frame.
    var accountedBytes: Int { bytes.count }
}
