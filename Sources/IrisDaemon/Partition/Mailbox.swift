import DequeModule
import Synchronization

/// A partition's inbox: events from the network, the clock, the disk and clients, taken one
/// at a time by the partition's loop. Bounded: `offer` refuses an event that may be lost (a
/// peer message, a tick) when `capacity` events are waiting; `deliver` always enqueues, for
/// completions the loop must not lose (their number is bounded by what the loop itself asked
/// for, and client requests are bounded by their own admission control).
final class Mailbox<Element: Sendable>: Sendable {
    private struct State {
        var queue = Deque<Element>()
        var waiter: CheckedContinuation<Element?, Never>?
        var closed = false
    }

    private enum Outcome { case refused, queued, handOver(CheckedContinuation<Element?, Never>) }

    private let state = Mutex(State())
    /// Most queued events `offer` accepts.
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a mailbox holds at least one event")
        self.capacity = capacity
    }

    /// Enqueues `element` unless the mailbox is full or closed; returns whether it did.
    @discardableResult
    func offer(_ element: Element) -> Bool { enqueue(element, bounded: true) }

    /// Enqueues `element` unless the mailbox is closed; returns whether it did.
    @discardableResult
    func deliver(_ element: Element) -> Bool { enqueue(element, bounded: false) }

    private func enqueue(_ element: Element, bounded: Bool) -> Bool {
        let outcome: Outcome = state.withLock { state in
            guard !state.closed, !bounded || state.queue.count < capacity else { return .refused }
            if let waiter = state.waiter {
                state.waiter = nil
                return .handOver(waiter)
            }
            state.queue.append(element)
            return .queued
        }
        switch outcome {
        case .refused: return false
        case .queued: return true
        case .handOver(let waiter):
            waiter.resume(returning: element)
            return true
        }
    }

    /// The first queued event if it matches `predicate`, without waiting; nil otherwise.
    func popFirst(where predicate: (Element) -> Bool) -> Element? {
        state.withLock { state in
            guard let first = state.queue.first, predicate(first) else { return nil }
            return state.queue.popFirst()
        }
    }

    /// The next event, waiting for one; nil once the mailbox is closed and empty.
    func next() async -> Element? {
        if let element = state.withLock({ $0.queue.popFirst() }) { return element }
        return await withCheckedContinuation { continuation in
            let immediate: Element?? = state.withLock { state in
                if let element = state.queue.popFirst() { return .some(element) }
                if state.closed { return .some(nil) }
                precondition(state.waiter == nil, "one loop takes from a mailbox")
                state.waiter = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Whether `close()` was called.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Refuses further events; the loop drains what is queued, then `next()` returns nil.
    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.queue.isEmpty ? state.waiter : nil
        }
        waiter?.resume(returning: nil)
    }
}
