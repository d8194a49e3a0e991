import IrisLog
import Synchronization

/// The frames a replica wrote most recently, kept in memory so that reads of just-committed
/// records (the router's partition feed, a leader's replication to a follower) do not go back
/// to the segment files. Bounded by bytes: the oldest frames are dropped first. The frames
/// held are always contiguous and end where the replica's log ends: a truncation drops the
/// frames it removes from the log, and an append that does not continue them starts over.
/// A read it cannot answer (evicted, or from before the replica opened) returns nil and is
/// read from the log.
final class RecentFrames: Sendable {
    /// Stored bytes of frames kept before the oldest is dropped (the newest is always kept).
    let capacityBytes: Int
    private let state = Mutex(Window())

    /// The frames kept: `frames[head...]`, in offset order, without gaps.
    private struct Window {
        var frames: [SealedFrame] = []
        var head = 0
        var bytes = 0

        var isEmpty: Bool { head == frames.count }
        /// First offset of the oldest frame kept, nil when empty.
        var start: Offset? { isEmpty ? nil : frames[head].baseOffset }
        /// Offset after the newest frame kept, nil when empty.
        var end: Offset? { frames.last.map(\.nextOffset) }

        /// Index in `frames` of the frame holding `offset`, nil when none kept does.
        func index(holding offset: Offset) -> Int? {
            guard let start, let end, start <= offset, offset < end else { return nil }
            var low = head
            var high = frames.count - 1
            // The last frame whose base is at or before `offset`: frames are contiguous, so it holds it.
            while low < high {
                let middle = (low + high + 1) / 2
                if frames[middle].baseOffset <= offset { low = middle } else { high = middle - 1 }
            }
            return low
        }

        mutating func removeAll() {
            frames.removeAll(keepingCapacity: true)
            head = 0
            bytes = 0
        }
    }

    /// A window of at most `capacityBytes` stored bytes.
    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
    }

    /// Frames the log just wrote, in order. Frames that do not continue those kept replace them.
    func appended(_ written: [SealedFrame]) {
        guard !written.isEmpty else { return }
        state.withLock { window in
            for frame in written {
                if let end = window.end, end != frame.baseOffset { window.removeAll() }
                window.frames.append(frame)
                window.bytes += frame.storedBytes
            }
            while window.bytes > capacityBytes, window.frames.count - window.head > 1 {
                window.bytes -= window.frames[window.head].storedBytes
                window.head += 1
            }
            // Drops the evicted slots once they are most of the array: amortised O(1) per frame.
            if window.head >= 64, window.head * 2 >= window.frames.count {
                window.frames.removeFirst(window.head)
                window.head = 0
            }
        }
    }

    /// The log is about to lose every record from `offset` on: drops every frame holding one.
    func truncating(from offset: Offset) {
        state.withLock { window in
            while !window.isEmpty, let last = window.frames.last, last.nextOffset > offset {
                window.bytes -= last.storedBytes
                window.frames.removeLast()
            }
            if window.isEmpty { window.removeAll() }
        }
    }

    /// Forgets every frame (after a failed write, whose effect on the log is unknown).
    func clear() {
        state.withLock { $0.removeAll() }
    }

    /// Offsets of the records kept: `start..<end`; nil when none is.
    var range: Range<Offset>? {
        state.withLock { window in
            guard let start = window.start, let end = window.end else { return nil }
            return start..<end
        }
    }

    /// The frame holding `offset`, nil when it is not kept.
    func frame(holding offset: Offset) -> SealedFrame? {
        state.withLock { window in window.index(holding: offset).map { window.frames[$0] } }
    }

    /// Whole frames from the one holding `offset` to the newest kept, stopping before the frame
    /// that would bring their bytes above `bytesMax` (`LogReader.frames(from:bytesMax:)`);
    /// nil when the frame holding `offset` is not kept.
    func frames(from offset: Offset, bytesMax: Int) -> [SealedFrame]? {
        state.withLock { window -> [SealedFrame]? in
            guard let first = window.index(holding: offset) else { return nil }
            var taken: [SealedFrame] = []
            var bytes = 0
            for frame in window.frames[first...] {
                bytes += frame.bytes.count
                guard bytes <= bytesMax else { break }
                taken.append(frame)
            }
            return taken
        }
    }

    /// Records from `offset` on and below `end`, in order, until their values, keys and headers
    /// add up to `maxBytes` (at least one), as `Log.read(from:maxBytes:)` counts them; nil when
    /// the frame holding `offset` is not kept or cannot be decoded. Stops early at the newest
    /// frame kept. Frames are decoded outside the lock, one at a time.
    func records(from offset: Offset, below end: Offset, maxBytes: Int) -> [LogRecord]? {
        guard offset < end else { return [] }
        var records: [LogRecord] = []
        var bytes = 0
        var next = offset
        while next < end {
            guard let frame = frame(holding: next) else { return next == offset ? nil : records }
            let decoded: [LogRecord]
            do {
                decoded = try frame.records()
            } catch {
                return next == offset ? nil : records
            }
            for record in decoded where record.offset >= next {
                guard record.offset < end else { return records }
                records.append(record)
                bytes += record.value.count + (record.key?.count ?? 0)
                    + record.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
                if bytes >= maxBytes { return records }
            }
            next = frame.nextOffset
        }
        return records
    }
}
