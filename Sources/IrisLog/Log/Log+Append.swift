extension Log {
    /// Appends one record holding `value` and returns its offset once durable.
    public func append(_ value: [UInt8]) async throws(LogError) -> Offset {
        try await append(contentsOf: [Record(value: value)]).lowerBound
    }

    /// Appends one record and returns its offset once durable.
    public func append(_ record: Record, term: Term = Term(0)) async throws(LogError) -> Offset {
        try await append(contentsOf: [record], term: term).lowerBound
    }

    /// Appends `records` as one frame: they get consecutive offsets, become durable
    /// together and are never split by a crash or a segment roll.
    ///
    /// Suspends while the append queue is full (`appendQueueBytesMax`), then until the
    /// fdatasync covering the frame completes (`.fsync`) or the frame is written (`.none`).
    ///
    /// - Returns: the offsets assigned, first to last.
    /// - Throws: `.emptyBatch`, `.recordTooLarge`, `.closed`, `.readOnly`; `.io` or `.noSpace`
    ///   when the write or sync of this frame failed; `.failed` (or `.noSpace`) after an
    ///   earlier failure stopped the log.
    public func append(contentsOf records: [Record], term: Term = Term(0)) async throws(LogError) -> ClosedRange<Offset> {
        let frame = try frame(of: records, term: term)
        let first = try await submit([frame])
        return first...first.advanced(by: UInt64(records.count - 1))
    }

    /// Appends one record holding `value`, blocking the calling thread until it is durable:
    /// `appendBlocking(contentsOf:term:)`.
    public func appendBlocking(_ value: [UInt8]) throws(LogError) -> Offset {
        try appendBlocking(contentsOf: [Record(value: value)]).lowerBound
    }

    /// `append(contentsOf:term:)` for a thread of the caller's own: blocks the calling thread
    /// until the frame is durable (or failed), with the same outcomes and errors.
    ///
    /// When the log's writer is idle, the calling thread runs the writer's turn itself: it
    /// writes the frame (with whatever else is queued) and, with nothing else outstanding,
    /// fdatasyncs it, with no hand-off to the I/O engine's threads (SPEC.md §7). A producer
    /// alone thus costs one write and one fdatasync, as with a database driven from its own
    /// thread. Otherwise it waits while the engine's lane writes the frame, as `append` does.
    ///
    /// Never call it from Swift concurrency's cooperative pool (a task, an actor): it would hold
    /// one of the pool's few threads for a whole fdatasync. Tasks use `append(contentsOf:term:)`.
    /// The calling thread may answer other callers while it runs the writer's turns (their
    /// appends, `sync(then:)` completions), so do not call it while holding a lock that such a
    /// completion takes.
    public func appendBlocking(contentsOf records: [Record], term: Term = Term(0)) throws(LogError) -> ClosedRange<Offset> {
        let frame = try frame(of: records, term: term)
        let waiter = ThreadWaiter()
        let call = [PendingAppend(frame: frame, continuation: .thread(waiter))]
        switch admit(call) {
        case .failure(let error): throw error
        case .success(let wake):
            if wake, let slot = writerSlot, !slot.lane.runClaimedTurns(slot, until: { waiter.result != nil }) {
                slot.wake()
            }
        }
        let first = try waiter.wait().get()
        return first...first.advanced(by: UInt64(records.count - 1))
    }

    /// Queues one call's frames (or parks the call while the queue is full) unless the log
    /// failed or is closing; returns whether the writer has new work.
    private func admit(_ call: [PendingAppend]) -> Result<Bool, LogError> {
        lock.withLock { state in
            if let failure = state.failure { return .failure(Log.errorAfterFailure(failure)) }
            if state.closing { return .failure(.closed) }
            return state.submit(call)
        }
    }

    /// The frame of one `append(contentsOf:)` call, after checking the records against the limits.
    private func frame(of records: [Record], term: Term) throws(LogError) -> EncodedFrame {
        guard !configuration.readOnly else { throw .readOnly }
        guard !records.isEmpty else { throw .emptyBatch }
        var bytes = 0
        for record in records {
            let size = record.contentBytes
            guard size <= configuration.recordBytesMax else { throw .recordTooLarge(bytes: size, max: configuration.recordBytesMax) }
            bytes += size
        }
        guard bytes <= configuration.batchBytesMax else { throw .recordTooLarge(bytes: bytes, max: configuration.batchBytesMax) }
        let frame = EncodedFrame(
            records: records, term: term, now: WallClock.nowMicroseconds(), codec: configuration.compression,
            compressionLevel: configuration.compressionLevel, compressionThresholdBytes: configuration.compressionThresholdBytes)
        guard frame.payloadLength <= configuration.batchBytesMax else {
            throw .recordTooLarge(bytes: frame.payloadLength, max: configuration.batchBytesMax)
        }
        return frame
    }

    /// Appends frames sealed elsewhere byte for byte: a replica storing what its leader sent.
    /// They must continue the log exactly: the first starts at `nextOffset` (counting appends
    /// still in flight) and chains to the log's last frame, each later one to the one before.
    /// Durability, backpressure and acknowledgement are as for `append(contentsOf:)`.
    ///
    /// - Returns: the offsets of the records of all frames, first to last.
    /// - Throws: `.frameOutOfSequence` or `.frameChainMismatch` when the frames do not continue
    ///   the log (nothing of this call is appended); `.emptyBatch`, `.recordTooLarge`,
    ///   `.closed`, `.readOnly`; I/O errors as `append(contentsOf:)`.
    public func append(frames: [SealedFrame]) async throws(LogError) -> ClosedRange<Offset> {
        guard !configuration.readOnly else { throw .readOnly }
        guard let first = frames.first, let last = frames.last else { throw .emptyBatch }
        for (previous, frame) in zip(frames, frames.dropFirst()) {
            guard frame.baseOffset == previous.nextOffset else {
                throw .frameOutOfSequence(expected: previous.nextOffset, got: frame.baseOffset)
            }
            guard frame.previousCRC == previous.crc else {
                throw .frameChainMismatch(offset: frame.baseOffset, expectedPreviousCRC: previous.crc, previousCRC: frame.previousCRC)
            }
        }
        for frame in frames where frame.storedBytes > configuration.frameBytesMax {
            throw .recordTooLarge(bytes: frame.bytes.count, max: configuration.frameBytesMax)
        }
        _ = try await submit(frames.map(EncodedFrame.init(sealed:)))
        return first.baseOffset...last.nextOffset.previous
    }

    /// Admits `frames` together under one lock (all or none); the continuation rides on the
    /// last frame and resumes with its base offset once all of them are durable.
    private func submit(_ frames: [EncodedFrame]) async throws(LogError) -> Offset {
        let outcome = await withUnsafeContinuation { (continuation: Resumption<Offset>) in
            let call = frames.indices.map { index in
                PendingAppend(frame: frames[index], continuation: index == frames.count - 1 ? .task(continuation) : nil)
            }
            switch admit(call) {
            case .failure(let error): continuation.resume(failing: error)
            case .success(let wake): if wake { wakeWriter() }
            }
        }
        return try outcome.get()
    }

    /// Makes every record appended so far durable: with `Durability.none` it syncs what was
    /// written and not yet synced; with `.fsync` it returns once earlier appends are durable
    /// (their own calls may return, and readers see them, a moment later). Appends made
    /// meanwhile are not held back.
    ///
    /// - Throws: `.readOnly`, `.closed`; an I/O error, which also stops the log.
    public func sync() async throws(LogError) {
        guard !configuration.readOnly else { throw .readOnly }
        let outcome = await withUnsafeContinuation { (continuation: Resumption<Void>) in
            sync { error in continuation.resume(returning: error.map { .failure($0) } ?? .success(())) }
        }
        try outcome.get()
    }

    /// `sync()` for a caller that is not a task: `completion` is called once, on one of the
    /// I/O engine's threads (or on a thread in this log's `appendBlocking`, which runs the
    /// writer's turns when it finds it idle), once everything appended so far is durable (with
    /// nil), or with the error (`.readOnly`, `.closed`, an I/O error that also stops the log).
    /// It must return quickly, never wait for any log and never take a lock an appending thread
    /// may hold: the threads every log of the process shares wait for it.
    ///
    /// The request holds back no append (SPEC.md §7): the writer hands it to the syncer once
    /// the frames admitted before it are written, and the fdatasync that covers them answers it.
    public func sync(then completion: @escaping @Sendable (LogError?) -> Void) {
        guard !configuration.readOnly else { return completion(.readOnly) }
        let rejection: LogError? = lock.withLock { state in
            if let failure = state.failure { return Log.errorAfterFailure(failure) }
            if state.closing { return .closed }
            state.syncRequests.append(SyncRequest(admittedFrames: state.admittedFrames, completion: completion))
            return nil
        }
        if let rejection { completion(rejection) } else { wakeWriter() }
    }

    /// What an append gets once the log has failed: a full disk stays "no space", any other
    /// failure becomes `.failed` naming the cause.
    static func errorAfterFailure(_ failure: LogError) -> LogError {
        if case .noSpace = failure { return failure }
        if case .failed = failure { return failure }
        return .failed(cause: failure.description)
    }
}
