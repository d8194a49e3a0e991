/// Records as they become readable, from a starting offset on, without end: the sequence
/// waits for new appends. It finishes when the log closes (after delivering every record
/// readable by then) or the task is cancelled. It throws what `Log.read` throws: notably
/// `.offsetOutOfRange` when retention deleted records before a slow follower read them.
/// A follower may have seen records that a later `truncate` removes.
public struct LogTail: AsyncSequence, Sendable {
    /// Each element is one record, in offset order, each offset once.
    public typealias Element = LogRecord
    let log: Log
    let start: Offset
    let batchBytesMax: Int

    /// An iterator starting at the sequence's first offset; each iterator reads on its own.
    public func makeAsyncIterator() -> Iterator {
        Iterator(log: log, next: start, batchBytesMax: batchBytesMax)
    }

    /// Reads records in batches of up to `batchBytesMax` bytes and hands them out one by one.
    public struct Iterator: AsyncIteratorProtocol {
        let log: Log
        var next: Offset
        let batchBytesMax: Int
        var buffered: [LogRecord] = []
        var position = 0

        /// The next record, waiting (without polling) until it is readable.
        ///
        /// Returns nil when the log has closed or failed and every record readable by then
        /// was delivered, or when the task is cancelled. A batch is read with `Log.read`
        /// on the calling task, so a read that misses the page cache blocks it on `pread`.
        ///
        /// - Throws: what `Log.read(from:maxBytes:)` throws, as `LogError`; notably
        ///   `.offsetOutOfRange` when retention deleted the next record first.
        public mutating func next() async throws -> LogRecord? {
            while position == buffered.count {
                if Task.isCancelled { return nil }
                buffered = try log.read(from: next, maxBytes: batchBytesMax)
                position = 0
                if let last = buffered.last {
                    next = last.offset.advanced(by: 1)
                    break
                }
                guard await log.waitForRecords(after: next) else { return nil }
            }
            defer { position += 1 }
            return buffered[position]
        }
    }
}

extension Log {
    /// Follows the log from `offset` (default: the current end), yielding each record once
    /// it is readable (durable under `.fsync`).
    public func follow(from offset: Offset? = nil, batchBytesMax: Int = 1 << 20) -> LogTail {
        LogTail(log: self, start: offset ?? nextOffset, batchBytesMax: batchBytesMax)
    }

    /// Waits until a record at `offset` is readable. Returns false when it never will be:
    /// the log closed or failed, or the task was cancelled.
    func waitForRecords(after offset: Offset) async -> Bool {
        let id = lock.withLock { state in
            defer { state.nextTailWaiterID += 1 }
            return state.nextTailWaiterID
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let ready = lock.withLock { state in
                    if state.durableNext > offset || state.writerExited || state.failure != nil || Task.isCancelled { return true }
                    state.tailWaiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            lock.withLock { $0.tailWaiters.removeValue(forKey: id) }?.resume()
        }
        return lock.withLock { $0.durableNext > offset } && !Task.isCancelled
    }
}
