import IrisMQTT
import IrisReplication
import IrisRouter
import Logging
import Synchronization

/// The shell of one shard: its `ShardCore` behind a lock, and the actions it asks for carried
/// out in order (SPEC.md §16.3). One per partition; nothing is shared between shards but the
/// connection table.
final class RouterShard: Sendable {
    let partition: Int
    private let core: Mutex<ShardCore>
    /// Actions the core asked for and not yet carried out, in the order it asked.
    private let outbox = SerialOutbox<ShardAction>()
    private let activeState = Atomic<Bool>(false)

    /// This node leads the partition and the shard serves its sessions (SPEC.md §16.7).
    var isActive: Bool { activeState.load(ordering: .acquiring) }

    /// Starts serving: the log is read up to this leadership's start.
    func activate() {
        handle(.recovered)
        activeState.store(true, ordering: .releasing)
    }

    /// Stops serving: another node leads.
    func deactivate() {
        activeState.store(false, ordering: .releasing)
        handle(.resigned)
    }
    private let router: RouterContext

    init(configuration: ShardConfiguration, router: RouterContext) {
        self.partition = configuration.partition
        self.core = Mutex(ShardCore(configuration: configuration))
        self.router = router
    }

    /// Sessions and connections of this shard: metrics.
    var counts: (sessions: Int, connections: Int) { core.withLock { ($0.sessionCount, $0.connectionCount) } }

    /// Runs one event through the core and carries out its actions in the order the core asked
    /// for them: appends are queued in order, packets written in order. The core's lock is held
    /// only while it decides; the actions (writes, appends: each may wake another thread) are
    /// carried out after, by one thread at a time: the caller, or the thread already carrying
    /// out earlier ones, which takes these too. So an edge event loop and a partition's feed do
    /// not wait on each other's writes.
    func handle(_ event: ShardEvent) {
        // Queued under the core's lock: the outbox holds actions in the order the core decided them.
        let drains = core.withLock { core in outbox.enqueue(core.handle(event)) }
        if drains { outbox.drain(execute) }
    }

    private func execute(_ action: ShardAction) {
        switch action {
        case .send(let token, let packets):
            router.connections.entry(for: token.rawValue)?.connection.send(packets)
        case .close(let token, let reason):
            router.connections.entry(for: token.rawValue)?.connection.close(reason: reason)
        case .append(let records, let tokens):
            router.node.enqueueAppend(partition: PartitionID(UInt32(partition)), records: records) { [self] answer in
                if case .appended = answer { return }
                // Not from inside `handle` (the answer may come at once, while its actions run).
                Task { self.handle(.appendFailed(connections: tokens, reason: "\(answer)")) }
            }
        case .catchUp(let clientID, let epoch, let ranges, let filters, let limit):
            let feeds = router.feeds
            Task {
                let pages = ranges.map { range in
                    let (messages, next) = feeds[range.partition].messages(from: range.from, to: range.to, matching: filters, limit: limit)
                    return CatchUpPage(partition: range.partition, messages: messages, next: next, complete: next >= range.to)
                }
                self.handle(.caughtUp(clientID: clientID, epoch: epoch, pages: pages))
            }
        case .fetch(let clientID, let epoch, let references):
            let feeds = router.feeds
            Task {
                var messages: [StoredMessage] = []
                for (source, group) in Dictionary(grouping: references, by: \.partition) {
                    messages += feeds[source].messages(at: group.map(\.offset).sorted())
                }
                self.handle(.fetched(clientID: clientID, epoch: epoch, messages: messages))
            }
        case .fetchRetained(let clientID, let epoch, let subscriptions):
            let feeds = router.feeds
            Task {
                let (messages, granted) = RetainedLookup.find(subscriptions, in: feeds)
                self.handle(.retained(clientID: clientID, epoch: epoch, messages: messages, granted: granted))
            }
        }
    }
}
