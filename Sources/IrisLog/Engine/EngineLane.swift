import DequeModule
import Synchronization

/// One OS thread of the engine, running the writers of the logs assigned to it (SPEC.md §7):
/// a writer becomes ready when a producer, a sync or a close gives it work, and the lane gives
/// each ready writer a turn of at most `LogWriter.turnSteps` steps, in the order they became
/// ready. After a turn with nobody else ready (or every `turnsPerFlush` turns), it hands the
/// syncs started to the kernel.
final class EngineLane: @unchecked Sendable {
    // @unchecked: `queue` is under its lock; `buffer` is touched by the lane's thread alone.
    private struct Queue {
        var ready = Deque<WriterSlot>()
        var logs = 0
    }

    let index: Int
    private let queue = ConditionLock(Queue())
    /// How many slots wait in `queue.ready`, readable without the lock.
    private let readyCount = Atomic<Int>(0)
    /// The buffer a writer copies a group into, shared by the lane's writers: it grows to
    /// the largest group any of them writes.
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Most turns between two flushes while writers keep the lane busy.
    static let turnsPerFlush = 16

    init(index: Int) { self.index = index }

    func start(engine: IOEngine) {
        OSThread.start(name: "iris-lane-\(index)") { self.run(engine: engine) }
    }

    /// Logs writing through this lane.
    var logCount: Int { queue.withLock { $0.logs } }

    /// Assigns `writer` to this lane through `slot`.
    func attach(_ writer: LogWriter, to slot: WriterSlot) {
        queue.withLock { queue in
            precondition(slot.lane === self && slot.writer == nil)
            slot.writer = writer
            queue.logs += 1
        }
    }

    /// The writer exited: the slot gets no more turns.
    func detach(_ slot: WriterSlot) {
        queue.withLock { queue in
            slot.writer = nil
            queue.logs -= 1
        }
    }

    /// Puts a slot that became ready at the end of the line.
    fileprivate func enqueue(_ slot: WriterSlot) {
        let first: Bool = queue.withLock { queue in
            queue.ready.append(slot)
            readyCount.store(queue.ready.count, ordering: .relaxed)
            return queue.ready.count == 1
        }
        if first { queue.signal() }
    }

    /// Runs `slot`'s writer on the calling thread, turn after turn, while `done()` is false and
    /// the writer has work: a thread in `Log.appendBlocking` doing its log's work itself, with
    /// no hand-off to this lane (SPEC.md §7). Only when the writer is idle (no turn running or
    /// queued); returns false, having done nothing, when it is not: the caller then wakes it.
    /// Work left when it stops goes back to this lane.
    func runClaimedTurns(_ slot: WriterSlot, until done: () -> Bool) -> Bool {
        guard slot.tryClaim() else { return false }
        let writer = queue.withLock { _ in slot.writer }
        var more = writer != nil
        while more && !done() {
            more = writer!.takeCallerTurn()
            IOEngine.shared.flushSyncs()
        }
        if slot.turnEnds(more: more) { enqueue(slot) }
        return true
    }

    /// Whether another writer waits for a turn: then a writer hands its sync to the sync
    /// service rather than running it on this thread.
    var othersReady: Bool { readyCount.load(ordering: .relaxed) > 0 }

    /// The group buffer, at least `bytes` long; only for the writer whose turn it is.
    func groupBuffer(atLeast bytes: Int) -> UnsafeMutableRawBufferPointer {
        if buffer.count < bytes {
            buffer.deallocate()
            buffer = .allocate(byteCount: bytes, alignment: 4096)
        }
        return buffer
    }

    private func run(engine: IOEngine) {
        var turnsSinceFlush = 0
        while true {
            let (slot, writer): (WriterSlot, LogWriter?) = queue.wait { queue in
                guard let slot = queue.ready.popFirst() else { return nil }
                readyCount.store(queue.ready.count, ordering: .relaxed)
                return (slot, slot.writer)
            }
            slot.turnStarts()
            let more = writer?.takeTurn(on: self) ?? false
            if slot.turnEnds(more: more) { enqueue(slot) }
            turnsSinceFlush += 1
            if turnsSinceFlush >= EngineLane.turnsPerFlush || !othersReady {
                engine.flushSyncs()
                turnsSinceFlush = 0
            }
        }
    }
}

/// A log's place on its lane: how producers, syncs and `close()` wake its writer. Holds the
/// writer until it exits (the writer holds the log: an open log lives until closed).
///
/// Waking is an atomic step on the slot's state, so a producer whose writer is already queued
/// or running takes no lock: idle → queued (and into the lane's line), running → running and
/// woken (the lane queues it again after the turn); queued, or running and woken, stay.
final class WriterSlot: @unchecked Sendable {
    // @unchecked: `writer` is touched under the lane's lock only; `state` is atomic.
    let lane: EngineLane
    var writer: LogWriter?
    private let state = Atomic<UInt8>(WriterSlot.idle)

    private static let idle: UInt8 = 0
    private static let queued: UInt8 = 1
    private static let running: UInt8 = 2
    private static let runningWoken: UInt8 = 3

    init(lane: EngineLane) { self.lane = lane }

    /// Gives the writer a turn soon (once, however often it is woken meanwhile).
    func wake() {
        var current = state.load(ordering: .acquiring)
        while true {
            let next: UInt8
            switch current {
            case WriterSlot.idle: next = WriterSlot.queued
            case WriterSlot.running: next = WriterSlot.runningWoken
            default: return
            }
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: next, successOrdering: .acquiringAndReleasing, failureOrdering: .acquiring)
            if exchanged {
                if next == WriterSlot.queued { lane.enqueue(self) }
                return
            }
            current = original
        }
    }

    /// Claims the writer for a turn on the calling thread when it is idle (not queued, no turn
    /// running); the turn ends with `turnEnds(more:)` as the lane's do.
    fileprivate func tryClaim() -> Bool {
        state.compareExchange(expected: WriterSlot.idle, desired: WriterSlot.running, ordering: .acquiringAndReleasing).exchanged
    }

    /// The lane took the slot from its line.
    fileprivate func turnStarts() {
        let previous = state.exchange(WriterSlot.running, ordering: .acquiringAndReleasing)
        precondition(previous == WriterSlot.queued, "a writer got a turn without being queued")
    }

    /// The turn ended; returns whether the slot goes back in line: the writer has work left, or
    /// was woken during the turn (the work may have come after its last look).
    fileprivate func turnEnds(more: Bool) -> Bool {
        if more {
            state.store(WriterSlot.queued, ordering: .releasing)
            return true
        }
        let (exchanged, _) = state.compareExchange(
            expected: WriterSlot.running, desired: WriterSlot.idle, ordering: .acquiringAndReleasing)
        if exchanged { return false }
        state.store(WriterSlot.queued, ordering: .releasing)
        return true
    }
}
