import IrisLog

/// In-memory map from position to term, stored as runs of equal terms.
///
/// Terms change only on leader changes, so the index stays tiny however long the
/// log is; it lets the core check log matching without reading the log.
public struct TermIndex: Sendable, Hashable {
    /// A run of records with the same term, starting at the prefix end `firstOffset`
    /// (the run's first record is at IrisLog offset `firstOffset - 1`).
    public struct Run: Sendable, Hashable {
        /// The term of every record in the run.
        public var term: Term
        /// The end of the prefix through the run's first record.
        public var firstOffset: LogEnd
    }

    /// Runs in increasing offset and non-decreasing term order.
    public private(set) var runs: [Run] = []
    /// End of the log, `LogEnd.zero` if empty.
    public private(set) var lastOffset: LogEnd = .zero

    /// The index of an empty log.
    public init() {}

    /// The index of a log, found by binary search: terms never decrease along a log, so each
    /// term's run ends where the term at an offset first exceeds it. Reads O(T log N) frames
    /// for T terms and N records instead of the whole log.
    ///
    /// - Throws: `ReplicaFault` when a read fails or the frames break the rules of a
    ///   replicated log (a frame missing or misplaced, terms decreasing, term 0).
    public init(reading log: some LogReader) throws(ReplicaFault) {
        let end = log.lastOffset
        var base = LogEnd.zero
        while base < end {
            let first = try log.checkedFrame(holding: base.nextRecord)
            guard first.start == base else {
                throw .logInconsistent(offset: base, reason: "no frame starts at \(base)")
            }
            let term = first.term
            guard term > lastTerm else {
                throw .logInconsistent(offset: base, reason: "frame term \(term) does not follow term \(lastTerm)")
            }
            // Invariant: the record at `low` has `term`; the record at `high` (if < end) a later one.
            var low = first.end.previous
            var high = end
            while high.rawValue - low.rawValue > 1 {
                let middle = LogEnd(low.rawValue + (high.rawValue - low.rawValue) / 2)
                let frame = try log.checkedFrame(holding: middle.nextRecord)
                guard frame.term >= term else {
                    throw .logInconsistent(offset: middle, reason: "frame term \(frame.term) below an earlier \(term)")
                }
                if frame.term == term { low = frame.end.previous } else { high = frame.start }
            }
            append(term: term, from: base, through: high)
            base = high
        }
    }

    /// Term of the last record, `Term.zero` if empty.
    public var lastTerm: Term { runs.last?.term ?? .zero }

    /// Term of the prefix ending at `offset` (of its last record); `Term.zero` for
    /// `LogEnd.zero`; nil beyond the end.
    public func term(at offset: LogEnd) -> Term? {
        if offset == .zero { return .zero }
        if offset > lastOffset { return nil }
        return runs[runIndex(containing: offset)].term
    }

    /// Records that a frame of `term` covering `base..<end` followed the log's end.
    public mutating func append(term: Term, from base: LogEnd, through end: LogEnd) {
        precondition(base == lastOffset && end > base, "term index append must be contiguous")
        precondition(term >= lastTerm, "terms in a log never decrease")
        if runs.last?.term != term { runs.append(Run(term: term, firstOffset: base.next)) }
        lastOffset = end
    }

    /// Forgets every record from IrisLog offset `offset` on (keeps the prefix ending there).
    public mutating func truncate(after offset: LogEnd) {
        guard offset < lastOffset else { return }
        while let last = runs.last, last.firstOffset > offset { runs.removeLast() }
        lastOffset = offset
    }

    /// The largest prefix end <= `offset` whose term is <= `term` (`LogEnd.zero` if none).
    /// Used to skip a whole divergent term at once when logs conflict.
    public func lastOffset(atOrBefore offset: LogEnd, withTermAtMost term: Term) -> LogEnd {
        var candidate = min(offset, lastOffset)
        guard candidate > .zero else { return .zero }
        var index = runIndex(containing: candidate)
        while index >= 0 {
            if runs[index].term <= term { return candidate }
            candidate = runs[index].firstOffset.previous
            index -= 1
        }
        return .zero
    }

    private func runIndex(containing offset: LogEnd) -> Int {
        // Binary search for the last run whose firstOffset <= offset.
        var low = 0
        var high = runs.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if runs[middle].firstOffset <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
