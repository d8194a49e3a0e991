import IrisLog
import IrisMQTT
import IrisReplication
import IrisRouter
import Logging
import NIOCore
import Synchronization

/// The shell of one shard: its `ShardCore` behind a lock, and the actions it asks for carried
/// out in order (SPEC.md §16.3). One per partition; nothing is shared between shards but the
/// connection table. Its `AppendAdmission` bounds the appends in flight: while the bound is
/// reached, the connections that send to the shard are paused and their events held.
final class RouterShard: Sendable {
    let partition: Int
    private let core: Mutex<ShardCore>
    /// Actions the core asked for and not yet carried out, in the order it asked.
    private let outbox = SerialOutbox<ShellAction>()
    /// Taken inside `core`'s lock, or alone (an append's answer may come inside `handle`).
    private let admission: Mutex<AppendAdmission>
    /// The same shard, only replaying: what a checkpoint holds (SPEC.md §16.8). It gets every
    /// committed batch and nothing else, so its state is the log's even while `core` serves.
    private let ledger: Mutex<ShardCore>
    private let activeState = Atomic<Bool>(false)

    /// This node leads the partition and the shard serves its sessions (SPEC.md §16.7).
    var isActive: Bool { activeState.load(ordering: .acquiring) }

    /// Starts serving: the log is read up to this leadership's start.
    func activate() {
        handle(.recovered)
        activeState.store(true, ordering: .releasing)
    }

    /// Stops serving: another node leads. Held events are dropped (nothing they carried was
    /// acknowledged) and their connections closed, as the core closes its own.
    func deactivate() {
        activeState.store(false, ordering: .releasing)
        let drains = core.withLock { core -> Bool in
            for token in admission.withLock({ $0.dropHeld() }) {
                router.connections.entry(for: token.rawValue)?.connection.close(
                    reason: "this node no longer leads the session's partition; reconnect")
            }
            return decide(.resigned, in: &core)
        }
        if drains { outbox.drain(execute) }
    }
    private let router: RouterContext

    init(configuration: ShardConfiguration, admissionLimits: AppendAdmission.Limits, router: RouterContext) {
        self.partition = configuration.partition
        self.core = Mutex(ShardCore(configuration: configuration))
        self.admission = Mutex(AppendAdmission(limits: admissionLimits))
        self.ledger = Mutex(ShardCore(configuration: configuration))
        self.configuration = configuration
        self.router = router
    }

    let configuration: ShardConfiguration

    /// Starts from a checkpoint of this partition, or with no session, having read every partition
    /// up to `feedPositions` (the feeds' positions after their own checkpoints). Before any batch.
    func restore(_ checkpoint: RouterCheckpoint?, feedPositions: [UInt64]) {
        let restored = checkpoint.map { $0.shard(configuration: configuration, feedPositions: feedPositions) }
            ?? ShardCore(configuration: configuration, startingAt: feedPositions)
        core.withLock { $0 = restored }
        ledger.withLock { $0 = restored }
    }

    /// A copy of the replaying shard, for a checkpoint.
    var ledgerState: ShardCore { ledger.withLock { $0 } }

    /// Sessions and connections of this shard: metrics.
    var counts: (sessions: Int, connections: Int) { core.withLock { ($0.sessionCount, $0.connectionCount) } }

    /// Admission figures of this shard: connections paused now, records in flight now and at most.
    var admissionFigures: (paused: Int, recordsInFlight: Int, recordsInFlightPeak: Int) {
        admission.withLock { ($0.pausedCount, $0.recordsInFlight, $0.recordsInFlightPeak) }
    }

    /// Runs one event through the core and carries out its actions in the order the core asked
    /// for them: appends are queued in order, packets written in order. The core's lock is held
    /// only while it decides; the actions (writes, appends: each may wake another thread) are
    /// carried out after, by one thread at a time (`SerialOutbox`), so an edge event loop and a
    /// partition's feed do not wait on each other's writes. An event from a connection goes
    /// through admission first: held (and the connection paused) while the bound is reached.
    func handle(_ event: ShardEvent) {
        if case .committed = event {
            ledger.withLock { ledger in
                let actions = ledger.handle(event)
                assert(actions.isEmpty, "a shard with no connection has nothing to do but replay")
            }
        }
        let drains = core.withLock { core -> Bool in
            if case .closedMany(let closes) = event {
                // Each close runs now unless it waits behind its own connection's held events.
                let now = admission.withLock { admission in
                    closes.filter { admission.offer(.closed($0.token, graceful: $0.graceful), from: $0.token, isClose: true) == .run }
                }
                return now.isEmpty ? false : decide(.closedMany(now), in: &core)
            }
            if let (token, isClose) = event.sender {
                let decision = admission.withLock { $0.offer(event, from: token, isClose: isClose) }
                if case .hold(let pause) = decision {
                    if pause { router.connections.entry(for: token.rawValue)?.connection.pauseReading() }
                    return false
                }
            }
            return decide(event, in: &core)
        }
        if drains { outbox.drain(execute) }
    }

    /// Runs `event` through the core and queues its actions, counting its appends in flight at
    /// once (under the core's lock, so admission sees them before the next event). True when
    /// the caller must carry out the queue.
    ///
    /// The appends of closes (wills, closed records) are not counted: closes are never held, so
    /// counting them would only hold back live publishes behind a mass disconnect's wills; the
    /// connections that close bound them. Packets for one connection decided together go out in
    /// one send (a batch of committed messages for one subscriber: one write, not one per message).
    private func decide(_ event: ShardEvent, in core: inout ShardCore) -> Bool {
        let actions = Self.coalescingSends(core.handle(event))
        let admitted = !event.isClose
        if admitted {
            for case .append(let records, _) in actions {
                admission.withLock { $0.started(records: records.count, bytes: Self.bytes(of: records)) }
            }
        }
        return outbox.enqueue(actions.map { ShellAction(action: $0, admitted: admitted) })
    }

    /// `actions` with each send merged into the first earlier send to the same connection when
    /// no close of that connection lies between them: per connection the packets keep their
    /// order, and a packet never moves past its connection's close. A send moved ahead of an
    /// append cannot be answered before that append is queued: the outbox carries out one
    /// queue in order, and the answer's actions are queued behind it.
    static func coalescingSends(_ actions: [ShardAction]) -> [ShardAction] {
        guard actions.count > 1 else { return actions }
        var result: [ShardAction] = []
        result.reserveCapacity(actions.count)
        /// Per connection, the index in `result` of its send that later packets join.
        var openSend: [ConnectionToken: Int] = [:]
        for action in actions {
            switch action {
            case .send(let token, let packets):
                if let index = openSend[token], case .send(_, var earlier) = result[index] {
                    result[index] = .send(token, [])
                    earlier += packets
                    result[index] = .send(token, earlier)
                } else {
                    openSend[token] = result.count
                    result.append(action)
                }
            case .close(let token, _):
                openSend[token] = nil
                result.append(action)
            default:
                result.append(action)
            }
        }
        return result
    }

    private static func bytes(of records: [Record]) -> Int { records.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) } }

    /// Runs held events, in arrival order, until none is left or the bound is reached again;
    /// resumes each connection whose held events have all run.
    private func release() {
        let drains = core.withLock { core -> Bool in
            var drains = false
            while let release = admission.withLock({ $0.nextRelease() }) {
                if decide(release.event, in: &core) { drains = true }
                if release.resume { router.connections.entry(for: release.token.rawValue)?.connection.resumeReading() }
            }
            return drains
        }
        if drains { outbox.drain(execute) }
    }

    private func execute(_ item: ShellAction) {
        switch item.action {
        case .send(let token, let packets):
            router.connections.entry(for: token.rawValue)?.connection.send(packets)
        case .close(let token, let reason):
            router.connections.entry(for: token.rawValue)?.connection.close(reason: reason)
        case .append(let records, let tokens):
            let bytes = item.admitted ? Self.bytes(of: records) : 0
            let admitted = item.admitted
            router.node.enqueueAppend(partition: PartitionID(UInt32(partition)), records: records) { [self] answer in
                if admitted, admission.withLock({ $0.finished(records: records.count, bytes: bytes) }) {
                    // Not on this shard's lock, as below.
                    Task { self.release() }
                }
                if case .appended = answer { return }
                // Not from inside `handle` (the answer may come at once, while its actions run).
                Task { self.handle(.appendFailed(connections: tokens, reason: "\(answer)")) }
            }
        case .catchUp(let clientID, let epoch, let ranges, let filters, let limit):
            let feeds = router.feeds
            Task {
                var pages: [CatchUpPage] = []
                for range in ranges {
                    let (messages, next) = await feeds[range.partition].messages(from: range.from, to: range.to, matching: filters, limit: limit)
                    pages.append(CatchUpPage(partition: range.partition, messages: messages, next: next, complete: next >= range.to))
                }
                self.handle(.caughtUp(clientID: clientID, epoch: epoch, pages: pages))
            }
        case .fetch(let clientID, let epoch, let references):
            let feeds = router.feeds
            Task {
                var messages: [StoredMessage] = []
                for (source, group) in Dictionary(grouping: references, by: \.partition) {
                    messages += await feeds[source].messages(at: group.map(\.offset).sorted())
                }
                self.handle(.fetched(clientID: clientID, epoch: epoch, messages: messages))
            }
        case .fetchRetained(let clientID, let epoch, let token, let stream, let filter, let after, let limit):
            readRetained(clientID: clientID, epoch: epoch, token: token, stream: stream, filter: filter, after: after, limit: limit)
        }
    }

    /// Reads a page of a retained stream once the connection's outbox is below its high-water mark
    /// (checked again every 20 ms while it is not), so a stream of QoS 0 messages, which no window
    /// bounds, waits for a slow reader (SPEC.md §16.5). A connection that is gone ended its stream.
    private func readRetained(
        clientID: String, epoch: UInt64, token: ConnectionToken, stream: UInt64, filter: TopicFilter, after: String?, limit: Int
    ) {
        guard let connection = router.connections.entry(for: token.rawValue)?.connection else { return }
        guard connection.isWritable else {
            connection.eventLoop.scheduleTask(in: .milliseconds(20)) { [self] in
                readRetained(clientID: clientID, epoch: epoch, token: token, stream: stream, filter: filter, after: after, limit: limit)
            }
            return
        }
        let feeds = router.feeds
        Task {
            let page = await RetainedLookup.page(filter, after: after, limit: limit, in: feeds)
            self.handle(.retained(clientID: clientID, epoch: epoch, stream: stream, page: page))
        }
    }
}

/// An action of the core as the shell queues it: whether admission counts it (`decide`).
private struct ShellAction: Sendable {
    var action: ShardAction
    var admitted: Bool
}

extension ShardEvent {
    /// A close of one or more connections.
    fileprivate var isClose: Bool {
        switch self {
        case .closed, .closedMany: true
        default: false
        }
    }

    /// The connection an event comes from, and whether it is its close; nil for the others.
    fileprivate var sender: (token: ConnectionToken, isClose: Bool)? {
        switch self {
        case .connect(let token, _, _, _), .packet(let token, _): (token, false)
        case .closed(let token, _): (token, true)
        default: nil
        }
    }
}
