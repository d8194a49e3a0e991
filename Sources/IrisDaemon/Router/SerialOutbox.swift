import Synchronization

/// Work carried out in the order it was queued, by one thread at a time, outside the caller's
/// locks: a caller queues under its own lock (so the queue's order is the order it decided in),
/// releases that lock, and, if no thread is carrying out the queue, carries it out itself until
/// it is empty, taking also what others queue meanwhile. Nobody waits for another thread's work,
/// and work queued from inside `drain` runs after the current items, in the same drain, never
/// nested.
final class SerialOutbox<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var draining = false
    }

    private let state = Mutex(State())

    init() {}

    /// Queues `items` after everything queued before. Returns true when the caller must now call
    /// `drain` (no thread was carrying out the queue; from now on the caller is that thread).
    func enqueue(_ items: [Item]) -> Bool {
        state.withLock { state in
            state.items += items
            defer { state.draining = true }
            return !state.draining
        }
    }

    /// Carries out the queued items in order with `perform` until none is left. Only after
    /// `enqueue` returned true.
    func drain(_ perform: (Item) -> Void) {
        while true {
            let items = state.withLock { state in
                defer { state.items = [] }
                if state.items.isEmpty { state.draining = false }
                return state.items
            }
            guard !items.isEmpty else { return }
            for item in items { perform(item) }
        }
    }
}
