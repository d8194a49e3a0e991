import IrisMQTT
import IrisReplication
import IrisRouter
import IrisRouterEdge
import IrisTransport
import Logging
import NIOCore
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
        /// When each partition's router state is checkpointed (SPEC.md §16.8).
        var checkpointPolicy = RouterCheckpointFile.Policy()
    }

    let settings: Settings
    private let context: RouterContext
    private let shards: [RouterShard]
    private let server = Mutex<MQTTServer?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let logger: Logger

    /// A router over every partition, all hosted by this node (a single node, or replicas = nodes).
    ///
    /// - Throws: `NodeError.invalidConfiguration` when the node does not host every partition.
    init(node: Node, settings: Settings, group: any EventLoopGroup, logger: Logger) throws(NodeError) {
        let partitionCount = node.configuration.partitionCount
        var feeds: [PartitionFeed] = []
        for index in 0..<partitionCount {
            guard let replica = node.replicas[PartitionID(UInt32(index))] else {
                throw .invalidConfiguration(
                    "--mqtt: this node does not host partition \(index); MQTT needs every node to hold every partition (--replicas equal to the number of nodes)")
            }
            let checkpoints = RouterCheckpointFile(
                partitionDirectory: node.configuration.dataDirectory + "/partitions/\(index)", partition: index,
                partitionCount: partitionCount, policy: settings.checkpointPolicy, logger: logger)
            feeds.append(PartitionFeed(partition: index, replica: replica, checkpoints: checkpoints, logger: logger))
        }
        let context = RouterContext(node: node, feeds: feeds, logger: logger)
        self.context = context
        self.shards = (0..<partitionCount).map { index in
            RouterShard(configuration: ShardConfiguration(partition: index, partitionCount: partitionCount, denyFilters: settings.denyFilters),
                router: context)
        }
        self.settings = settings
        self.logger = logger
        self.replicas = (0..<partitionCount).map { node.replicas[PartitionID(UInt32($0))]! }
        self.nodeID = node.configuration.nodeID
        self.group = group
    }

    private let replicas: [PartitionReplica]
    private let nodeID: NodeID
    private let group: any EventLoopGroup

    /// Why the router could not serve (its partitions never settled, or its address could not
    /// be bound); nil while it serves or after a clean stop.
    var failure: NodeError? { failureState.withLock { $0 } }
    private let failureState = Mutex<NodeError?>(nil)

    /// Rebuilds every shard from the log, then serves MQTT until `stop()`; on failure, logs it,
    /// sets `failure` and returns.
    func run() async {
        let port: Int
        let server: MQTTServer
        do throws(NodeError) {
            try await recover()
            let configuration = MQTTServer.Configuration(
                host: settings.endpoint.host, port: settings.endpoint.port, maxPacketBytes: settings.maxPacketBytes)
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
                tasks.addTask { [shards] in
                    while !feed.isStopped { _ = await feed.step(shards: shards, waitTicks: 40) }
                }
            }
            tasks.addTask { [self] in await tick() }
        }
        await writeFinalCheckpoints()
    }

    /// Once the feeds have stopped: each partition's state as read, so a clean restart reads only
    /// what was committed after (the records of the connections closed at shutdown, mostly).
    private func writeFinalCheckpoints() async {
        for (feed, shard) in zip(context.feeds, shards) {
            guard let checkpoints = feed.checkpoints else { continue }
            await checkpoints.writeFinal(feed.checkpoint(ledger: shard.ledgerState))
        }
    }

    /// Stops accepting and closes every connection (their wills and closed records are
    /// appended while the partitions still run).
    func stop() async {
        stopping.store(true, ordering: .releasing)
        await server.withLock { $0 }?.stop()
    }

    private func recover() async throws(NodeError) {
        let started = ContinuousClock.now
        let checkpoints = context.feeds.map { $0.loadCheckpoint() }
        for (feed, checkpoint) in zip(context.feeds, checkpoints) {
            if let checkpoint { feed.restore(checkpoint) }
        }
        let positions = context.feeds.map(\.position)
        for (shard, checkpoint) in zip(shards, checkpoints) { shard.restore(checkpoint, feedPositions: positions) }
        let restored = checkpoints.compactMap { $0 }
        if !restored.isEmpty {
            logger.info("mqtt: \(restored.count) of \(checkpoints.count) partitions start from their checkpoints (\(restored.reduce(0) { $0 + $1.sessionCount }) sessions) after \(ContinuousClock.now - started)")
        }
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
        for (index, feed) in context.feeds.enumerated() {
            while feed.position < ends[index]! {
                guard await feed.step(shards: shards, waitTicks: 1) else { break }
            }
        }
        followLeadership()
        let sessions = shards.reduce(0) { $0 + $1.counts.sessions }
        let replayed = zip(context.feeds, positions).reduce(0) { $0 + $1.0.position - $1.1 }
        logger.info("mqtt: rebuilt \(sessions) sessions in \(ContinuousClock.now - started), reading \(replayed) records past the checkpoints")
    }

    /// Serves the sessions of the partitions this node leads, once each shard has read its
    /// partition up to the leadership's start; stops serving those it no longer leads.
    private func followLeadership() {
        for (index, shard) in shards.enumerated() {
            let status = replicas[index].status
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
                else { continue }
                shard.activate()
                logger.info("mqtt: serving the sessions of partition \(index)")
            } else if !leads && shard.isActive {
                shard.deactivate()
                logger.info("mqtt: partition \(index) is led elsewhere; its sessions are served there")
            }
        }
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
            for shard in shards { shard.handle(.tick) }
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
        if shards[shard].isActive {
            guard let waiting = context.connections.update(id, { entry -> [MQTTPacket] in
                defer { entry.pending = nil }
                return entry.pending ?? []
            }) else { return }
            shards[shard].handle(.connect(token, clientID: connect.clientID, connect, epoch: UInt64.random(in: 1...UInt64.max)))
            for packet in waiting { shards[shard].handle(.packet(token, packet)) }
            return
        }
        let leader = replicas[shard].status.leader
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
        case .shard(let shard): shards[shard].handle(.packet(ConnectionToken(id), packet))
        case .relay(let relay): relay.forward(packet)
        case .overflow: connection.close(reason: "more than \(Self.waitingPacketsMax) packets before the session's owner was found")
        case .held, nil: break
        }
    }

    func closed(_ connection: any MQTTConnection, graceful: Bool, reason: String) {
        guard let entry = context.connections.remove(connection.id.rawValue) else { return }
        logger.debug("mqtt: \(connection.remoteDescription) closed: \(reason)")
        if entry.pending != nil { return }
        if let relay = entry.relay {
            relay.clientClosed(graceful: graceful)
        } else {
            shards[entry.shard].handle(.closed(ConnectionToken(connection.id.rawValue), graceful: graceful))
        }
    }

    /// Nothing to do: a session's window of unacknowledged deliveries bounds what it is sent, and
    /// the edge stops reading from a client it cannot write to.
    func writable(_ connection: any MQTTConnection) {}

    /// Messages indexed by topic over every partition, and the indexes' bytes: metrics.
    var indexFigures: (messages: Int, bytes: Int) {
        context.feeds.reduce((0, 0)) { ($0.0 + $1.indexFigures.messages, $0.1 + $1.indexFigures.bytes) }
    }

    /// Connections past CONNECT and sessions kept: metrics.
    var counts: (connections: Int, sessions: Int) {
        shards.reduce((0, 0)) { ($0.0 + $1.counts.connections, $0.1 + $1.counts.sessions) }
    }
}
