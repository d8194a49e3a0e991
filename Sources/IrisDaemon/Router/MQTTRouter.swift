import IrisClient
import IrisMQTT
import IrisReplication
import IrisRouter
import IrisRouterEdge
import IrisTransport
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The MQTT broker of a node (SPEC.md §16): the edge's connections handed to the shard of
/// their client ID, the partitions' feeds, and the order of start and stop.
final class MQTTRouter: MQTTConnectionDelegate, Sendable {
    /// Where and how the router serves.
    struct Settings: Sendable {
        var endpoint: Endpoint
        /// Every node's MQTT address, for relaying a client to the node that owns its session.
        var peers: [NodeID: Endpoint] = [:]
        var denyFilters: [TopicFilter] = []
        var maxPacketBytes = 1 << 20
        /// The most connections open at once (`DescriptorBudget`); nil: the edge's default.
        var maxConnections: Int?
        /// The listener's backlog.
        var listenBacklog = 1_024
        /// Each shard's bound on appends in flight (SPEC.md §16.3, admission control).
        var admission = AppendAdmission.Limits()
        /// When each partition's router state is checkpointed (SPEC.md §16.8).
        var checkpointPolicy = RouterCheckpointFile.Policy()
    }

    let settings: Settings
    private let context: RouterContext
    /// The shard of each partition this node hosts, by partition; nil for the others.
    let shards: [RouterShard?]
    /// The shards of the partitions this node hosts.
    private let hostedShards: [RouterShard]
    /// Leaders and commit ends of the partitions this node does not host; nil when it hosts all.
    private let directory: PartitionDirectory?
    private let remoteSources: [RemoteRecordSource]
    /// Per hosted partition, since when this node has led it with its log read and committed:
    /// the feeds of the partitions it does not host must reach what was committed then.
    private let settledSince = Mutex<[Int: ContinuousClock.Instant]>([:])
    private let server = Mutex<MQTTServer?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let logger: Logger

    /// A router over every partition: the shards of those this node hosts, and a feed of every
    /// one, read from the local replica or, for a partition hosted elsewhere, from another node
    /// through the client protocol (with `clientTLS` when the cluster uses TLS).
    init(node: Node, settings: Settings, clientTLS: NIOSSLContext? = nil, group: any EventLoopGroup, logger: Logger) throws(NodeError) {
        let configuration = node.configuration
        let partitionCount = configuration.partitionCount
        let remote = Set((0..<partitionCount).filter { node.replicas[PartitionID(UInt32($0))] == nil })
        var client: IrisClient?
        var directory: PartitionDirectory?
        if !remote.isEmpty {
            let addresses = configuration.members.keys.sorted().filter { $0 != configuration.nodeID }.map { configuration.members[$0]!.description }
            var clientConfiguration = IrisClientConfiguration()
            clientConfiguration.requestTimeout = .seconds(2)
            clientConfiguration.operationTimeout = .seconds(10)
            do throws(IrisClientError) {
                client = try IrisClient(endpoints: addresses, tls: clientTLS, configuration: clientConfiguration)
            } catch {
                throw .invalidConfiguration("mqtt: reading the partitions hosted by other nodes: \(error)")
            }
            directory = PartitionDirectory(partitions: remote, addresses: addresses, client: client!)
        }
        var feeds: [PartitionFeed] = []
        var remoteSources: [RemoteRecordSource] = []
        for index in 0..<partitionCount {
            let source: any CommittedRecordSource
            let hosted = node.replicas[PartitionID(UInt32(index))]
            // A partition hosted elsewhere has no directory of its own here: its feed's checkpoint
            // lives under remote-feeds (SPEC.md §16.8).
            let checkpoints = RouterCheckpointFile(
                directory: configuration.dataDirectory + (hosted == nil ? "/remote-feeds/\(index)" : "/partitions/\(index)"), partition: index,
                partitionCount: partitionCount, policy: settings.checkpointPolicy, logger: logger)
            if let replica = hosted {
                source = LocalRecordSource(partition: index, replica: replica)
            } else {
                let remoteSource = RemoteRecordSource(
                    partition: index, client: client!, directory: directory!, tick: .milliseconds(configuration.tickMilliseconds), logger: logger)
                remoteSources.append(remoteSource)
                source = remoteSource
            }
            feeds.append(PartitionFeed(partition: index, partitionCount: partitionCount, source: source, checkpoints: checkpoints, logger: logger))
        }
        let context = RouterContext(node: node, feeds: feeds, logger: logger)
        self.context = context
        let shards = (0..<partitionCount).map { index -> RouterShard? in
            guard !remote.contains(index) else { return nil }
            return RouterShard(configuration: ShardConfiguration(partition: index, partitionCount: partitionCount, denyFilters: settings.denyFilters),
                admissionLimits: settings.admission, router: context)
        }
        self.shards = shards
        self.hostedShards = shards.compactMap { $0 }
        self.directory = directory
        self.remoteSources = remoteSources
        self.settings = settings
        self.logger = logger
        self.replicas = (0..<partitionCount).map { node.replicas[PartitionID(UInt32($0))] }
        self.nodeID = configuration.nodeID
        self.group = group
    }

    private let replicas: [PartitionReplica?]
    private let nodeID: NodeID
    private let group: any EventLoopGroup

    /// Why the router could not serve (its partitions never settled, or its address could not
    /// be bound); nil while it serves or after a clean stop.
    var failure: NodeError? { failureState.withLock { $0 } }
    private let failureState = Mutex<NodeError?>(nil)

    /// Rebuilds every shard from the log, then serves MQTT until `stop()`; on failure, logs it,
    /// sets `failure` and returns.
    /// Partition K's feed runs on `executors.executor(for: K)`, the loop of partition K's replica
    /// (`Node.run(on:)`); on Swift's global executor when there is none.
    func run(on executors: [EventLoopTaskExecutor] = []) async {
        let port: Int
        let server: MQTTServer
        if let directory {
            // From the start: recovery reads the feeds of partitions hosted elsewhere to their commit ends.
            Task { [self] in await directory.maintain { !stopping.load(ordering: .acquiring) && !context.feeds.allSatisfy(\.isStopped) } }
        }
        do throws(NodeError) {
            try await recover()
            let configuration = MQTTServer.Configuration(
                host: settings.endpoint.host, port: settings.endpoint.port, maxPacketBytes: settings.maxPacketBytes,
                listenBacklog: settings.listenBacklog, maxConnections: settings.maxConnections)
            server = MQTTServer(configuration: configuration, delegate: self, group: group, logger: logger)
            do {
                port = try await server.start()
            } catch {
                throw NodeError.bind(settings.endpoint, "MQTT: \(error)")
            }
        } catch {
            logger.error("\(error)")
            failureState.withLock { $0 = error }
            return
        }
        self.server.withLock { $0 = server }
        logger.info("mqtt: serving MQTT 3.1.1 on \(settings.endpoint.host):\(port)")
        if stopping.load(ordering: .acquiring) { await server.stop() }
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { [self] in await watchLeadership() }
            for feed in context.feeds {
                // On its partition's event loop: the commits that wake it come from there.
                tasks.addTask(executorPreference: executors.executor(for: feed.partition)) { [hostedShards] in
                    while !feed.isStopped { _ = await feed.step(shards: hostedShards, waitTicks: 40) }
                }
            }
            tasks.addTask { [self] in await tick() }
        }
        await writeFinalCheckpoints()
    }

    /// Once the feeds have stopped: each partition's state as read, so a clean restart reads only
    /// what was committed after (the records of the connections closed at shutdown, mostly); of a
    /// partition hosted elsewhere, its feed's state.
    private func writeFinalCheckpoints() async {
        for (feed, shard) in zip(context.feeds, shards) {
            await feed.checkpoints.writeFinal(shard.map { feed.checkpoint(ledger: $0.ledgerState) } ?? feed.feedCheckpoint())
        }
    }

    /// Stops accepting and closes every connection (their wills and closed records are
    /// appended while the partitions still run).
    func stop() async {
        stopping.store(true, ordering: .releasing)
        await server.withLock { $0 }?.stop()
        for source in remoteSources { source.stop() }
    }

    private func recover() async throws(NodeError) {
        let started = ContinuousClock.now
        var ends: [UInt64?] = Array(repeating: nil, count: context.feeds.count)
        while ends.contains(nil) {
            for (index, feed) in context.feeds.enumerated() where ends[index] == nil { ends[index] = feed.settledCommitEnd }
            if ends.contains(nil) {
                guard ContinuousClock.now - started < .seconds(60), !stopping.load(ordering: .acquiring) else {
                    throw .invalidConfiguration("mqtt: partitions without a leader after 60 s: \(ends.indices.filter { ends[$0] == nil })")
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // Once every partition has settled: a checkpoint of a partition hosted elsewhere is
        // checked against a replica there, which READs only what it has committed.
        let loading = ContinuousClock.now
        let checkpoints = await loadCheckpoints()
        for (feed, checkpoint) in zip(context.feeds, checkpoints) {
            if let checkpoint { feed.restore(checkpoint) }
        }
        let positions = context.feeds.map(\.position)
        for (shard, checkpoint) in zip(shards, checkpoints) { shard?.restore(checkpoint, feedPositions: positions) }
        let restored = checkpoints.compactMap { $0 }
        if !restored.isEmpty {
            logger.info("mqtt: \(restored.count) of \(checkpoints.count) partitions start from their checkpoints (\(restored.reduce(0) { $0 + $1.sessionCount }) sessions) after \(ContinuousClock.now - loading)")
        }
        if !remoteSources.isEmpty {
            let remote = remoteSources.map(\.partition)
            let fromCheckpoints = remote.filter { checkpoints[$0] != nil }
            logger.info("mqtt: \(fromCheckpoints.count) of \(remote.count) feeds of partitions hosted elsewhere start from their checkpoints (partitions \(fromCheckpoints), at offsets \(fromCheckpoints.map { positions[$0] }))")
        }
        for (index, feed) in context.feeds.enumerated() {
            while feed.position < ends[index]! {
                // Waits only for a feed read from another node: a local one has these records.
                guard await feed.step(shards: hostedShards, waitTicks: 40) else { break }
            }
        }
        followLeadership()
        let sessions = hostedShards.reduce(0) { $0 + $1.counts.sessions }
        let replayed = zip(context.feeds, positions).reduce(0) { $0 + $1.0.position - $1.1 }
        let replayedRemote = remoteSources.reduce(0) { $0 + context.feeds[$1.partition].position - positions[$1.partition] }
        logger.info("mqtt: rebuilt \(sessions) sessions in \(ContinuousClock.now - started), reading \(replayed) records past the checkpoints (\(replayedRemote) of partitions hosted elsewhere)")
    }

    /// Every partition's checkpoint that its log still matches (nil for the others), all checked at once.
    private func loadCheckpoints() async -> [RouterCheckpoint?] {
        await withTaskGroup(of: (Int, RouterCheckpoint?).self) { tasks in
            for (index, feed) in context.feeds.enumerated() {
                tasks.addTask { (index, await feed.loadCheckpoint()) }
            }
            var checkpoints: [RouterCheckpoint?] = Array(repeating: nil, count: context.feeds.count)
            for await (index, checkpoint) in tasks { checkpoints[index] = checkpoint }
            return checkpoints
        }
    }

    /// Serves the sessions of the partitions this node leads, once each shard has read its
    /// partition up to the leadership's start and every feed of a partition hosted elsewhere has
    /// read what was committed then; stops serving those it no longer leads.
    private func followLeadership() {
        for (index, shard) in shards.enumerated() {
            guard let shard, let replica = replicas[index] else { continue }
            let status = replica.status
            let leads = status.role == .leader && status.stopped == nil
            if leads && !shard.isActive {
                // Everything committed before this leadership, its term-start marker included.
                // Only once everything in the log is committed: a new leader learns what the old
                // one committed only when its own term-start marker commits, and a shard that
                // served before that would miss records (a QoS 2 packet ID stored, then the
                // client's resend stored again). The feed's own loop reads on; a later look
                // activates the shard once it has read that far.
                guard status.commitOffset.rawValue > 0, status.commitOffset.rawValue >= status.lastOffset.rawValue,
                    context.feeds[index].position >= status.commitOffset.rawValue
                else {
                    settledSince.withLock { $0[index] = nil }
                    continue
                }
                guard remoteFeedsCaughtUp(for: index) else { continue }
                shard.activate()
                logger.info("mqtt: serving the sessions of partition \(index)")
            } else if !leads && shard.isActive {
                shard.deactivate()
                logger.info("mqtt: partition \(index) is led elsewhere; its sessions are served there")
            } else if !leads {
                settledSince.withLock { $0[index] = nil }
            }
        }
    }

    /// Whether every feed of a partition hosted elsewhere has read what that partition had
    /// committed once `partition`'s log was settled here: its sessions' recorded cursors are
    /// then at or below the feeds, so no message is delivered again.
    private func remoteFeedsCaughtUp(for partition: Int) -> Bool {
        guard let directory else { return true }
        let since = settledSince.withLock { settled -> ContinuousClock.Instant? in
            if let since = settled[partition] { return since }
            settled[partition] = .now
            return nil
        }
        guard let since else {
            directory.requestRefresh()
            return false
        }
        for source in remoteSources {
            guard let end = directory.commitEnd(of: source.partition, sampledAfter: since) else { return false }
            guard context.feeds[source.partition].position >= end else { return false }
        }
        return true
    }

    private func watchLeadership() async {
        while !context.feeds.allSatisfy(\.isStopped) {
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                return
            }
            followLeadership()
        }
    }

    private func tick() async {
        while !context.feeds.allSatisfy(\.isStopped) {
            do {
                try await Task.sleep(for: .seconds(1))
            } catch {
                return
            }
            for shard in hostedShards { shard.handle(.tick) }
        }
    }

    // MARK: - MQTTConnectionDelegate

    /// How long a CONNECT may wait for its partition's owner (an election, a new leader reading
    /// its log) before CONNACK 0x03: clients then see a slower CONNACK, not a refusal.
    static let ownerWait = Duration.seconds(5)
    /// Packets a waiting connection may send before it is routed; more closes it.
    static let waitingPacketsMax = 1024

    func connected(_ connect: Connect, on connection: any MQTTConnection) {
        var clientID = connect.clientID
        if clientID.isEmpty {
            guard connect.cleanSession else {
                // [MQTT-3.1.3-8]
                connection.send([.connack(sessionPresent: false, returnCode: .identifierRejected)])
                connection.close(reason: "empty client ID with clean session 0")
                return
            }
            clientID = "iris-\(context.node.configuration.nodeID.rawValue)-\(connection.id.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        }
        var forwarded = connect
        forwarded.clientID = clientID
        let shard = ClientPlacement.partition(of: clientID, partitionCount: shards.count)
        context.connections.insert(ConnectionTable.Entry(shard: shard, connection: connection, pending: []), for: connection.id.rawValue)
        route(forwarded, shard: shard, connection: connection, deadline: ContinuousClock.now + Self.ownerWait)
    }

    /// Hands a connection to its shard here, or relays it to the partition's leader, or waits
    /// (on the connection's event loop, so its packets keep their order) while no node serves
    /// the partition yet.
    private func route(_ connect: Connect, shard: Int, connection: any MQTTConnection, deadline: ContinuousClock.Instant) {
        let id = connection.id.rawValue
        let token = ConnectionToken(id)
        if let owner = shards[shard], owner.isActive {
            guard let waiting = context.connections.update(id, { entry -> [MQTTPacket] in
                defer { entry.pending = nil }
                return entry.pending ?? []
            }) else { return }
            owner.handle(.connect(token, clientID: connect.clientID, connect, epoch: UInt64.random(in: 1...UInt64.max)))
            for packet in waiting { owner.handle(.packet(token, packet)) }
            return
        }
        // The leader of a partition hosted here from its replica, else as the other nodes last said.
        let leader = replicas[shard].map { $0.status.leader } ?? directory?.leader(of: shard)
        if let leader, leader != nodeID, let upstream = settings.peers[leader] {
            // Another node owns the session: relay to it (SPEC.md §16.7).
            let relay = UpstreamRelay(client: connection, logger: logger)
            guard let waiting = context.connections.update(id, { entry -> [MQTTPacket] in
                defer {
                    entry.pending = nil
                    entry.relay = relay
                }
                return entry.pending ?? []
            }) else { return }
            for packet in waiting { relay.forward(packet) }
            relay.start(connect: connect, upstream: upstream, group: group) { [self] _ in
                if replicas[shard] == nil { directory?.requestRefresh() }
                connection.eventLoop.execute { [self] in
                    // Back to waiting, with what the relay held, then try again.
                    let held = relay.takePending()
                    let waiting: Bool? = context.connections.update(id) { entry in
                        entry.relay = nil
                        entry.pending = held
                        return true
                    }
                    guard waiting != nil else { return }
                    retry(connect, shard: shard, connection: connection, deadline: deadline)
                }
            }
            return
        }
        if replicas[shard] == nil { directory?.requestRefresh() }
        retry(connect, shard: shard, connection: connection, deadline: deadline)
    }

    private func retry(_ connect: Connect, shard: Int, connection: any MQTTConnection, deadline: ContinuousClock.Instant) {
        guard ContinuousClock.now < deadline else {
            context.connections.remove(connection.id.rawValue)
            connection.send([.connack(sessionPresent: false, returnCode: .serverUnavailable)])
            connection.close(reason: "no node serves partition \(shard) within \(Self.ownerWait); try again")
            return
        }
        connection.eventLoop.scheduleTask(in: .milliseconds(50)) { [self] in
            route(connect, shard: shard, connection: connection, deadline: deadline)
        }
    }

    func received(_ packet: MQTTPacket, on connection: any MQTTConnection) {
        let id = connection.id.rawValue
        enum Target { case shard(Int), relay(UpstreamRelay), held, overflow }
        let target = context.connections.update(id) { entry -> Target in
            if entry.pending != nil {
                guard entry.pending!.count < Self.waitingPacketsMax else { return .overflow }
                entry.pending!.append(packet)
                return .held
            }
            if let relay = entry.relay { return .relay(relay) }
            return .shard(entry.shard)
        }
        switch target {
        case .shard(let shard): shards[shard]?.handle(.packet(ConnectionToken(id), packet))
        case .relay(let relay): relay.forward(packet)
        case .overflow: connection.close(reason: "more than \(Self.waitingPacketsMax) packets before the session's owner was found")
        case .held, nil: break
        }
    }

    func closed(_ connection: any MQTTConnection, graceful: Bool, reason: String) {
        closed([ClosedConnection(connection: connection, graceful: graceful, reason: reason)])
    }

    /// The closes of one pass of an event loop: one event per shard, so a mass disconnect costs
    /// each shard one lock and one append per batch rather than per connection.
    func closed(_ batch: [ClosedConnection]) {
        var byShard: [Int: [ConnectionClose]] = [:]
        for closed in batch {
            let id = closed.connection.id.rawValue
            guard let entry = context.connections.remove(id) else { continue }
            logger.debug("mqtt: \(closed.connection.remoteDescription) closed: \(closed.reason)")
            if entry.pending != nil { continue }
            if let relay = entry.relay {
                relay.clientClosed(graceful: closed.graceful)
            } else {
                byShard[entry.shard, default: []].append(ConnectionClose(ConnectionToken(id), graceful: closed.graceful))
            }
        }
        for shard in byShard.keys.sorted() { shards[shard]?.handle(.closedMany(byShard[shard]!)) }
    }

    /// Nothing to do: a session's window of unacknowledged deliveries bounds what it is sent, and
    /// the edge stops reading from a client it cannot write to.
    func writable(_ connection: any MQTTConnection) {}

    /// Messages indexed by topic over every partition, and the indexes' bytes: metrics.
    var indexFigures: (messages: Int, bytes: Int) {
        context.feeds.reduce((0, 0)) { ($0.0 + $1.indexFigures.messages, $0.1 + $1.indexFigures.bytes) }
    }

    /// Connections paused by admission control, over every shard: a metric.
    var pausedConnections: Int { hostedShards.reduce(0) { $0 + $1.admissionFigures.paused } }

    /// Connections the edge closed on accept because its cap was reached (a metric).
    var refusedConnections: Int { server.withLock { $0 }?.refusedConnectionCount ?? 0 }

    /// Connections past CONNECT and sessions kept: metrics.
    var counts: (connections: Int, sessions: Int) {
        hostedShards.reduce((0, 0)) { ($0.0 + $1.counts.connections, $0.1 + $1.counts.sessions) }
    }
}
