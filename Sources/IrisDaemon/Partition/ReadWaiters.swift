import IrisLog
import Synchronization

/// Readers waiting for a record to commit (a READ with a wait, a FOLLOW): each waits until the
/// commit offset passes its offset or its ticks run out. No timer per reader: the partition's
/// ticks count them down.
final class ReadWaiters: Sendable {
    private struct Waiter {
        var beyond: Offset
        var ticksLeft: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private let waiters = Mutex<[Waiter]>([])

    /// Waits until the commit offset is beyond `offset` or `ticks` ticks pass; returns the
    /// commit offset then.
    func wait(beyond offset: Offset, ticks: Int, current: @Sendable () -> LogEnd) async -> LogEnd {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let registered = waiters.withLock { waiters in
                // Checked under the lock: a commit between the caller's check and here is seen.
                guard current().rawValue <= offset.rawValue else { return false }
                waiters.append(Waiter(beyond: offset, ticksLeft: ticks, continuation: continuation))
                return true
            }
            if !registered { continuation.resume() }
        }
        return current()
    }

    /// Wakes the readers whose record is now committed.
    func commitAdvanced(to end: LogEnd) {
        let ready = waiters.withLock { waiters in
            let ready = waiters.filter { $0.beyond.rawValue < end.rawValue }
            waiters.removeAll { $0.beyond.rawValue < end.rawValue }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// One tick passed: wakes the readers whose wait ran out.
    func expire() {
        let expired = waiters.withLock { waiters in
            for index in waiters.indices { waiters[index].ticksLeft -= 1 }
            let expired = waiters.filter { $0.ticksLeft <= 0 }
            waiters.removeAll { $0.ticksLeft <= 0 }
            return expired
        }
        for waiter in expired { waiter.continuation.resume() }
    }

    /// Wakes every reader (shutdown).
    func releaseAll() {
        let all = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in all { waiter.continuation.resume() }
    }
}
