import IrisMQTT
import IrisReplication
import IrisRouter
import Logging
import NIOCore
import Synchronization

/// The shell of one shard: its `ShardCore` behind a lock, and the actions it asks for carried
/// out in order (SPEC.md §16.3). One per partition; nothing is shared between shards but the
/// connection table.
final class RouterShard: Sendable {
    let partition: Int
    private let core: Mutex<ShardCore>
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

    /// Runs one event through the core and carries out its actions before the next event:
    /// appends are queued in order, packets written in order.
    func handle(_ event: ShardEvent) {
        core.withLock { core in
            for action in core.handle(event) { execute(action) }
        }
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
                // Not on this shard's lock (the answer may come at once, inside `handle`).
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
            let page = RetainedLookup.page(filter, after: after, limit: limit, in: feeds)
            self.handle(.retained(clientID: clientID, epoch: epoch, stream: stream, page: page))
        }
    }
}
