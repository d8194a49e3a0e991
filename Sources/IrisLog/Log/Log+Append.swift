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
        let count = UInt64(records.count)
        do {
            let first = try await submit(frame)
            return first...first.advanced(by: count - 1)
        } catch let error as LogError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private func submit(_ frame: EncodedFrame) async throws -> Offset {
        try await withUnsafeThrowingContinuation { continuation in
            let append = PendingAppend(frame: frame, continuation: continuation)
            let outcome: Result<Bool, LogError> = lock.withLock { state in
                if let failure = state.failure { return .failure(Log.errorAfterFailure(failure)) }
                if state.closing { return .failure(.closed) }
                return .success(state.submit(append))
            }
            switch outcome {
            case .failure(let error): continuation.resume(throwing: error)
            case .success(let wakeWriter): if wakeWriter { lock.signal() }
            }
        }
    }

    /// What an append gets once the log has failed: a full disk stays "no space", any other
    /// failure becomes `.failed` naming the cause.
    static func errorAfterFailure(_ failure: LogError) -> LogError {
        if case .noSpace = failure { return failure }
        if case .failed = failure { return failure }
        return .failed(cause: failure.description)
    }
}
