import DequeModule

/// An append waiting for its frame to become durable. Of the frames of one
/// `append(frames:)` call only the last carries the waiter: frames are acknowledged in
/// order, and the frames of one call are admitted or refused together.
struct PendingAppend: Sendable {
    var frame: EncodedFrame
    let continuation: AppendWaiter?
}

/// How the writer answers a caller waiting on an append or a maintenance request: exactly
/// once, with the outcome or a typed error (no untyped throw crosses the thread boundary).
typealias Resumption<T> = UnsafeContinuation<Result<T, LogError>, Never>

extension UnsafeContinuation where E == Never {
    /// Resumes a waiting caller with `error`.
    func resume<Success>(failing error: LogError) where T == Result<Success, LogError> {
        resume(returning: .failure(error))
    }
}

/// Work for the writer that changes the set of segments; it runs only when every frame
/// admitted before it is durable, and no frame is admitted while one waits.
enum MaintenanceRequest: Sendable {
    case truncate(from: Offset, Resumption<Void>)
    /// Deletes sealed segments wholly before `before`, or by the retention policy when nil.
    case deleteSegments(before: Offset?, Resumption<Int>)

    func fail(_ error: LogError) {
        switch self {
        case .truncate(_, let continuation): continuation.resume(failing: error)
        case .deleteSegments(_, let continuation): continuation.resume(failing: error)
        }
    }
}

/// A caller waiting until everything admitted before it asked is durable (`Log.sync`). It
/// holds back no append: once the writer has written the frames admitted before it, the
/// syncer's next fdatasync answers it (SPEC.md §7).
struct SyncRequest: Sendable {
    /// How many frames had been admitted when it was asked: it is due once the writer has
    /// written that many.
    let admittedFrames: UInt64
    /// Called once, from one of the I/O engine's threads: nil when synced, else the error.
    let completion: @Sendable (LogError?) -> Void
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
    /// Calls not yet admitted, each with all of its frames: the queue is full or maintenance
    /// is pending.
    var waiting = Deque<[PendingAppend]>()
    var maintenance = Deque<MaintenanceRequest>()
    /// Frames admitted since the log opened, counted so a sync request knows what it covers.
    var admittedFrames: UInt64 = 0
    /// Sync requests in arrival order, each waiting for the frames admitted before it.
    var syncRequests = Deque<SyncRequest>()
    var failure: LogError?
    /// The syncer's progress in the active segment; the writer acknowledges what it covers.
    var syncProgress: SyncProgress
    var closing = false
    var writerExited = false
    var closeWaiters: [UnsafeContinuation<Void, Never>] = []
    var tailWaiters: [Int: UnsafeContinuation<Void, Never>] = [:]
    var nextTailWaiterID = 0
    /// Bumped when a truncation starts and again when it ends (odd while it runs), so a
    /// reader can tell a moved log from a damaged one, and a frame written after a cut from
    /// one it was entitled to read.
    var truncationEpoch = 0

    var firstOffset: Offset { segments.first?.baseOffset ?? nextOffset }

    init(appendQueueBytesMax: Int, segments: [SegmentEntry], nextOffset: Offset, lastCRC: UInt32) {
        self.appendQueueBytesMax = appendQueueBytesMax
        self.segments = segments
        self.nextOffset = nextOffset
        self.durableNext = nextOffset
        self.admittedCRC = lastCRC
        self.syncProgress = SyncProgress(syncedEnd: segments.last?.summary.dataEnd ?? 0)
    }

    private func canAdmit(_ call: [PendingAppend]) -> Bool {
        let bytes = call.reduce(0) { $0 + $1.frame.paddedLength }
        return maintenance.isEmpty && (admittedBytes == 0 || admittedBytes + bytes <= appendQueueBytesMax)
    }

    /// Assigns offsets and queues the call's frames if they fit now; otherwise the call waits
    /// its turn. Returns whether the writer has new work, or why the sealed frames were refused
    /// (then nothing of the call is queued).
    mutating func submit(_ call: [PendingAppend]) -> Result<Bool, LogError> {
        precondition(!call.isEmpty)
        if waiting.isEmpty && canAdmit(call) {
            if let refusal = admit(call) { return .failure(refusal) }
            return .success(true)
        }
        waiting.append(call)
        return .success(false)
    }

    /// Queues the call's frames with their offsets, or refuses the whole call when a sealed
    /// frame does not continue the log exactly (offset and chain): all or nothing.
    private mutating func admit(_ call: [PendingAppend]) -> LogError? {
        var next = nextOffset
        var crc = admittedCRC
        for append in call {
            guard let presealed = append.frame.presealed else {
                precondition(call.count == 1, "an ordinary append is one frame")
                next = next.advanced(by: UInt64(append.frame.recordCount))
                crc = nil
                continue
            }
            guard append.frame.baseOffset == next else {
                return .frameOutOfSequence(expected: next, got: append.frame.baseOffset)
            }
            guard presealed.previousCRC == crc else {
                return .frameChainMismatch(offset: append.frame.baseOffset, expectedPreviousCRC: crc, previousCRC: presealed.previousCRC)
            }
            next = append.frame.nextOffset
            crc = presealed.crc
        }
        for var append in call {
            if append.frame.presealed == nil { append.frame.baseOffset = nextOffset }
            nextOffset = append.frame.nextOffset
            admittedBytes += append.frame.paddedLength
            admittedFrames += 1
            queue.append(append)
        }
        precondition(nextOffset == next)
        admittedCRC = crc
        return nil
    }

    /// Admits waiting calls in arrival order while they fit; returns the refused ones, to be
    /// failed outside the lock (each call's error goes to its last frame's continuation).
    mutating func admitWaiting() -> [(PendingAppend, LogError)] {
        var refused: [(PendingAppend, LogError)] = []
        while let first = waiting.first, canAdmit(first) {
            let call = waiting.removeFirst()
            if let refusal = admit(call) { refused.append((call.last!, refusal)) }
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
    mutating func fail(_ error: LogError) -> (appends: [PendingAppend], maintenance: [MaintenanceRequest], syncs: [SyncRequest]) {
        if failure == nil { failure = error }
        let appends = Array(queue) + waiting.flatMap { $0 }
        let requests = Array(maintenance)
        let syncs = Array(syncRequests)
        queue.removeAll()
        waiting.removeAll()
        maintenance.removeAll()
        syncRequests.removeAll()
        admittedBytes = 0
        return (appends, requests, syncs)
    }
}
