import DequeModule

/// An append waiting for its frame to become durable. Of the frames of one
/// `append(frames:)` call only the last carries the continuation: frames are acknowledged in
/// order, and a rejected frame makes every later frame of the call be rejected too.
struct PendingAppend: Sendable {
    var frame: EncodedFrame
    let continuation: UnsafeContinuation<Offset, any Error>?
}

/// Work for the writer that changes the set of segments; it runs only when every frame
/// admitted before it is durable, and no frame is admitted while one waits.
enum MaintenanceRequest: Sendable {
    case truncate(from: Offset, UnsafeContinuation<Void, any Error>)
    /// Deletes sealed segments wholly before `before`, or by the retention policy when nil.
    case deleteSegments(before: Offset?, UnsafeContinuation<Int, any Error>)
    /// Syncs everything written (`Durability.none` leaves writes unsynced).
    case sync(UnsafeContinuation<Void, any Error>)

    func fail(_ error: LogError) {
        switch self {
        case .truncate(_, let continuation): continuation.resume(throwing: error)
        case .deleteSegments(_, let continuation): continuation.resume(throwing: error)
        case .sync(let continuation): continuation.resume(throwing: error)
        }
    }
}

/// Everything the writer, producers and readers share; only touched under the log's lock.
struct LogState: Sendable {
    let appendQueueBytesMax: Int
    var segments: [SegmentEntry]
    /// The offset the next admitted frame gets.
    var nextOffset: Offset
    /// Readers see offsets below this.
    var durableNext: Offset
    /// CRC of the last admitted frame, which a sealed frame must chain to; nil while that
    /// frame is an ordinary append not yet sealed by the writer.
    var admittedCRC: UInt32?
    /// Admitted frames (offsets assigned) waiting for the writer, in offset order.
    var queue = Deque<PendingAppend>()
    /// Bytes of frames admitted and not yet durable; bounded by `appendQueueBytesMax`.
    var admittedBytes = 0
    /// Appends not yet admitted: the queue is full or maintenance is pending.
    var waiting = Deque<PendingAppend>()
    var maintenance = Deque<MaintenanceRequest>()
    var failure: LogError?
    /// The syncer's progress in the active segment; the writer acknowledges what it covers.
    var syncProgress: SyncProgress
    var closing = false
    var writerExited = false
    var closeWaiters: [UnsafeContinuation<Void, Never>] = []
    var tailWaiters: [Int: UnsafeContinuation<Void, Never>] = [:]
    var nextTailWaiterID = 0
    /// Bumped by every truncation, so readers can tell a moved log from a damaged one.
    var truncations = 0

    var firstOffset: Offset { segments.first?.baseOffset ?? nextOffset }

    init(appendQueueBytesMax: Int, segments: [SegmentEntry], nextOffset: Offset, lastCRC: UInt32) {
        self.appendQueueBytesMax = appendQueueBytesMax
        self.segments = segments
        self.nextOffset = nextOffset
        self.durableNext = nextOffset
        self.admittedCRC = lastCRC
        self.syncProgress = SyncProgress(syncedEnd: segments.last?.summary.dataEnd ?? 0)
    }

    private func canAdmit(_ frame: EncodedFrame) -> Bool {
        maintenance.isEmpty && (admittedBytes == 0 || admittedBytes + frame.paddedLength <= appendQueueBytesMax)
    }

    /// Assigns offsets and queues the append if it fits now; otherwise it waits its turn.
    /// Returns whether the writer has new work, or why a sealed frame was refused.
    mutating func submit(_ append: PendingAppend) -> Result<Bool, LogError> {
        if waiting.isEmpty && canAdmit(append.frame) {
            if let refusal = admit(append) { return .failure(refusal) }
            return .success(true)
        }
        waiting.append(append)
        return .success(false)
    }

    /// Queues the append with its offsets, or refuses a sealed frame that does not continue
    /// the log exactly (offset and chain).
    private mutating func admit(_ append: PendingAppend) -> LogError? {
        var append = append
        if let presealed = append.frame.presealed {
            guard append.frame.baseOffset == nextOffset else {
                return .frameOutOfSequence(expected: nextOffset, got: append.frame.baseOffset)
            }
            guard presealed.previousCRC == admittedCRC else {
                return .frameChainMismatch(
                    offset: append.frame.baseOffset, expectedPreviousCRC: admittedCRC, previousCRC: presealed.previousCRC)
            }
            admittedCRC = presealed.crc
        } else {
            append.frame.baseOffset = nextOffset
            admittedCRC = nil
        }
        nextOffset = append.frame.nextOffset
        admittedBytes += append.frame.paddedLength
        queue.append(append)
        return nil
    }

    /// Admits waiting appends in arrival order while they fit; returns the refused ones,
    /// to be failed outside the lock.
    mutating func admitWaiting() -> [(PendingAppend, LogError)] {
        var refused: [(PendingAppend, LogError)] = []
        // The frames of one call wait together; the first refusal is their cause.
        var cause: LogError?
        while let first = waiting.first, canAdmit(first.frame) {
            let append = waiting.removeFirst()
            guard let refusal = admit(append) else { continue }
            let reported = cause ?? refusal
            cause = append.continuation == nil ? reported : nil
            refused.append((append, reported))
        }
        return refused
    }

    /// Takes the next group of admitted frames, at most `bytesMax` unless one frame is larger.
    mutating func takeGroup(bytesMax: Int) -> [PendingAppend] {
        var group: [PendingAppend] = []
        var bytes = 0
        while let first = queue.first, group.isEmpty || bytes + first.frame.paddedLength <= bytesMax {
            bytes += first.frame.paddedLength
            group.append(queue.removeFirst())
        }
        return group
    }

    /// Removes and returns the tail waiters, to be resumed outside the lock.
    mutating func takeTailWaiters() -> [UnsafeContinuation<Void, Never>] {
        defer { tailWaiters.removeAll() }
        return Array(tailWaiters.values)
    }

    /// Records a failure and takes every append and request that can no longer complete.
    mutating func fail(_ error: LogError) -> (appends: [PendingAppend], maintenance: [MaintenanceRequest]) {
        if failure == nil { failure = error }
        let appends = Array(queue) + Array(waiting)
        let requests = Array(maintenance)
        queue.removeAll()
        waiting.removeAll()
        maintenance.removeAll()
        admittedBytes = 0
        return (appends, requests)
    }
}
