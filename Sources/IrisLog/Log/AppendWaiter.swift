/// Who waits for an append's outcome: a task suspended in `Log.append`, or a thread blocked in
/// `Log.appendBlocking`. The writer answers each exactly once.
enum AppendWaiter: Sendable {
    case task(Resumption<Offset>)
    case thread(ThreadWaiter)

    func resume(returning result: Result<Offset, LogError>) {
        switch self {
        case .task(let continuation): continuation.resume(returning: result)
        case .thread(let waiter): waiter.finish(result)
        }
    }

    func resume(failing error: LogError) { resume(returning: .failure(error)) }
}

/// The outcome of one blocking append, and the condition its thread sleeps on until it is set.
final class ThreadWaiter: Sendable {
    private let outcome = ConditionLock<Result<Offset, LogError>?>(nil)

    /// Sets the outcome (once) and wakes the waiting thread.
    func finish(_ result: Result<Offset, LogError>) {
        outcome.withLock { outcome in
            if outcome != nil { preconditionFailure("an append answered twice") }
            outcome = result
        }
        outcome.signal()
    }

    /// The outcome, if it is set.
    var result: Result<Offset, LogError>? { outcome.withLock { $0 } }

    /// Blocks until the outcome is set, then returns it.
    func wait() -> Result<Offset, LogError> { outcome.wait { $0 } }
}
