import IrisLog

/// What a log driven by one sequential task must hold and may hold, kept beside it as its
/// operations complete, and checked against it after every reopen (SPEC.md §6, §7):
/// - every record made durable (appended before a `sync()`, a truncation or a `close()` that
///   completed, or recovered by an open) and not removed by a completed truncation or
///   allowed by retention is present byte for byte;
/// - every record present is one written at that offset since the last completed
///   truncation at or below it (nothing invented, nothing resurrected);
/// - retention removed nothing at or above the highest `before` requested nor beyond what
///   the log itself reported before the crash (`firstOffset` after each completed operation).
struct LogModel {
    /// The offset the next append gets.
    private(set) var next = Offset(0)
    /// The records the live log holds, by offset.
    private var expected: [Offset: [UInt8]] = [:]
    /// Records that may be found at an offset after a crash: every one written there since
    /// the last completed truncation (or recovery) at or below it.
    private var candidates: [Offset: [[UInt8]]] = [:]
    /// Every record below it (and at or above the first offset retention allows) is durable.
    private var durableEnd = Offset(0)
    /// Retention may remove records below it; nil while a crash struck an operation that
    /// may apply the size policy, whose extent the model does not predict.
    private var retentionFloor: Offset? = Offset(0)
    /// First offsets of the frames the log holds, ascending: where truncations may cut.
    private(set) var frameStarts: [Offset] = []

    /// Notes records about to be written at `first...`: from now on they may be found there.
    mutating func willWrite(_ values: [[UInt8]], at first: Offset) {
        for (index, value) in values.enumerated() {
            candidates[first.advanced(by: UInt64(index)), default: []].append(value)
        }
    }

    /// One frame of `values` was appended at `first...` (acknowledged, not yet durable under `.none`).
    mutating func appended(_ values: [[UInt8]], at first: Offset) {
        precondition(first == next)
        for (index, value) in values.enumerated() { expected[first.advanced(by: UInt64(index))] = value }
        frameStarts.append(first)
        next = first.advanced(by: UInt64(values.count))
    }

    /// A `sync()` or `close()` completed: everything appended is durable.
    mutating func madeDurable() { durableEnd = next }

    /// A truncation from `cut` completed: records from `cut` on are gone for good, and
    /// every earlier one is durable.
    mutating func truncated(from cut: Offset) {
        forget(from: cut)
        durableEnd = next
    }

    /// Power failed inside a truncation from `cut`: it may have taken effect, so records from
    /// `cut` on may be gone (or back: they stay candidates).
    mutating func truncationInterrupted(from cut: Offset) { durableEnd = min(durableEnd, cut) }

    /// The log reported `firstOffset` after a completed operation: retention went that far.
    mutating func retained(firstOffset: Offset, before: Offset? = nil) {
        retentionFloor = retentionFloor.map { max($0, firstOffset, before ?? $0) }
    }

    /// A crash struck an operation that may delete segments by the size policy.
    mutating func mayHaveAppliedPolicy() { retentionFloor = nil }

    private mutating func forget(from cut: Offset) {
        for offset in expected.keys where offset >= cut { expected[offset] = nil }
        for offset in candidates.keys where offset >= cut { candidates[offset] = nil }
        frameStarts.removeAll { $0 >= cut }
        next = cut
    }

    /// Checks a log just opened after a crash or a close, then takes what it recovered as
    /// the new truth (an open makes what it recovered durable). Returns the broken promise.
    mutating func checkRecovered(_ log: Log) -> (violation: String?, durableChecked: Int) {
        let first = log.firstOffset
        let end = log.nextOffset
        var records: [LogRecord] = []
        var offset = first
        do {
            while offset < end {
                let batch = try log.read(from: offset, maxBytes: 1 << 20)
                guard let last = batch.last else { return ("read from \(offset) returned nothing below next offset \(end)", 0) }
                records += batch
                offset = last.offset.advanced(by: 1)
            }
        } catch {
            return ("read failed at offset \(offset) (log holds \(first)..<\(end)): \(error)", 0)
        }
        for (index, record) in records.enumerated() where record.offset != first.advanced(by: UInt64(index)) {
            return ("offsets not contiguous: \(record.offset) where \(first.advanced(by: UInt64(index))) was expected", 0)
        }
        if let floor = retentionFloor, first > floor {
            return ("first offset \(first) after reopen, but retention was allowed below \(floor) only", 0)
        }
        var durableChecked = 0
        for (offset, value) in expected.sorted(by: { $0.key < $1.key }) where offset >= first && offset < durableEnd {
            guard offset < end else { return ("durable offset \(offset) lost: log ends at \(end), \(durableEnd) was durable", 0) }
            guard records[Int(offset.rawValue - first.rawValue)].value == value else {
                return ("durable offset \(offset) holds other bytes than were written there", 0)
            }
            durableChecked += 1
        }
        for record in records where !(candidates[record.offset] ?? []).contains(record.value) {
            let origin = RecordValue.isWritten(record.value) ? "a record not written at this offset since its last truncation" : "bytes nobody wrote"
            return ("offset \(record.offset) holds \(origin)", 0)
        }
        forget(from: end)
        for offset in expected.keys where offset < first { expected[offset] = nil }
        for record in records {
            expected[record.offset] = record.value
            candidates[record.offset] = [record.value]
        }
        frameStarts.removeAll { $0 < first }
        if frameStarts.first != first && first < end { frameStarts.insert(first, at: 0) }
        durableEnd = end
        retentionFloor = first
        return (nil, durableChecked)
    }
}
