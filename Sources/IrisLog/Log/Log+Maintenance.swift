extension Log {
    /// Removes every record after `after`; the next append gets offset `after + 1`. For a
    /// replica dropping a divergent suffix. Waits for appends admitted before it to become
    /// durable, and holds back later ones until it is done. Durable when it returns.
    ///
    /// - Throws: `.truncationInsideBatch` when `after` is not the last record of a batch;
    ///   `.offsetOutOfRange` when `after + 1` is before `firstOffset`; `.readOnly`, `.closed`;
    ///   an I/O error, which also stops the log.
    public func truncate(after: Offset) async throws(LogError) {
        try await truncate(from: after.advanced(by: 1))
    }

    /// Removes every record at or after `cut` (`truncate(from: firstOffset)` empties the log);
    /// otherwise as `truncate(after: cut - 1)`.
    public func truncate(from cut: Offset) async throws(LogError) {
        try await maintain { .truncate(from: cut, $0) }
    }

    /// Deletes whole sealed segments whose records are all before `offset`; returns how many.
    /// The active segment is never deleted, so `firstOffset` may stay below `offset`.
    public func deleteSegments(before offset: Offset) async throws(LogError) -> Int {
        try await maintain { .deleteSegments(before: offset, $0) }
    }

    /// Applies `retentionBytesMax` and `retentionAgeMicrosecondsMax` now (the writer also
    /// applies them at every segment roll); returns how many segments were deleted.
    public func applyRetention() async throws(LogError) -> Int {
        try await maintain { .deleteSegments(before: nil, $0) }
    }

    func maintain<T: Sendable>(_ request: @escaping (Resumption<T>) -> MaintenanceRequest) async throws(LogError) -> T {
        guard !configuration.readOnly else { throw .readOnly }
        let outcome = await withUnsafeContinuation { (continuation: Resumption<T>) in
            let rejection: LogError? = lock.withLock { state in
                if let failure = state.failure { return Log.errorAfterFailure(failure) }
                if state.closing { return .closed }
                state.maintenance.append(request(continuation))
                return nil
            }
            if let rejection { continuation.resume(failing: rejection) } else { wakeWriter() }
        }
        return try outcome.get()
    }
}
