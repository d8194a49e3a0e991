import NIOCore

/// The edge's state for one event loop: the timing wheel that enforces every connect timeout,
/// keep-alive and close deadline of the connections on that loop, and the list of those
/// connections (so `stop()` can close them). One repeated task per loop advances the wheel;
/// no connection has a timer of its own, and reading bytes only stores a tick number. Closes are
/// reported to the delegate in batches: those of one pass of the loop together, after the pass.
/// Confined to its event loop.
final class EdgeLoop {
    let eventLoop: any EventLoop
    private let delegate: any MQTTConnectionDelegate
    /// The wheel's tick length in milliseconds.
    let tickMilliseconds: Int
    private var wheel = TimingWheel<MQTTConnectionHandler>(slotCount: EdgeLoop.slotCount)
    private var connections: [MQTTConnectionHandler] = []
    private var ticker: RepeatedTask?
    /// Closes not yet reported, in the order they happened.
    private var closedBatch: [ClosedConnection] = []
    /// Set by `stop`: connections that become active afterwards are closed at once.
    private(set) var isStopping = false

    /// 1,024 slots: at 250 ms a revolution is 256 s, longer than the usual keep-alives of
    /// 30-120 s, so most connections are looked at only when their deadline comes.
    static let slotCount = 1024

    /// State for `eventLoop`, whose wheel starts ticking at once; closes go to `delegate`. Call on `eventLoop`.
    init(eventLoop: any EventLoop, tickMilliseconds: Int, delegate: any MQTTConnectionDelegate) {
        eventLoop.preconditionInEventLoop()
        self.eventLoop = eventLoop
        self.delegate = delegate
        self.tickMilliseconds = tickMilliseconds
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let interval = TimeAmount.milliseconds(Int64(tickMilliseconds))
        ticker = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            bound.value.advance()
        }
    }

    /// Ticks advanced so far. Activity during tick T's interval is stamped T + 1, so deadlines
    /// counted from a stamp are never early.
    var tick: UInt64 { wheel.tick }

    /// Connections on this loop now.
    var connectionCount: Int { connections.count }

    /// Connections filed in the wheel now (those with a deadline).
    var filedCount: Int { wheel.count }

    /// The number of ticks that covers `milliseconds` (rounded up, at least 1).
    func ticks(milliseconds: Int) -> UInt64 {
        UInt64(max(1, (milliseconds + tickMilliseconds - 1) / tickMilliseconds))
    }

    /// Adds a connection that just became active and files its first deadline.
    func register(_ connection: MQTTConnectionHandler) {
        connection.registryIndex = connections.count
        connections.append(connection)
        wheel.file(connection)
    }

    /// Re-files a connection whose deadline changed (not needed when activity moved it later).
    func refile(_ connection: MQTTConnectionHandler) {
        wheel.file(connection)
    }

    /// Removes a connection that closed.
    func unregister(_ connection: MQTTConnectionHandler) {
        wheel.remove(connection)
        guard let index = connection.registryIndex else { return }
        let last = connections.removeLast()
        if index < connections.count {
            connections[index] = last
            last.registryIndex = index
        }
        connection.registryIndex = nil
    }

    /// Queues the report of a connection that closed; the first close of a pass schedules the
    /// batch's report, which runs once the loop has handled the pass's I/O events.
    func reportClosed(_ closed: ClosedConnection) {
        closedBatch.append(closed)
        guard closedBatch.count == 1 else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        eventLoop.execute { bound.value.flushClosed() }
    }

    /// Reports the closes queued so far, as one batch.
    private func flushClosed() {
        guard !closedBatch.isEmpty else { return }
        let batch = closedBatch
        closedBatch = []
        delegate.closed(batch)
    }

    /// Stops the wheel and closes every connection on this loop; the future completes once all
    /// have closed and the delegate heard of it.
    func stop() -> EventLoopFuture<Void> {
        isStopping = true
        ticker?.cancel()
        ticker = nil
        let closing = connections.map { $0.closeFuture }
        for connection in connections { connection.stopServer() }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        return EventLoopFuture.andAllComplete(closing, on: eventLoop).map { bound.value.flushClosed() }
    }

    private func advance() {
        for connection in wheel.advance() { connection.deadlinePassed() }
    }
}
