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
        var denyFilters: [TopicFilter] = []
        var maxPacketBytes = 1 << 20
    }

    let settings: Settings
    private let context: RouterContext
    private let shards: [RouterShard]
    private let server = Mutex<MQTTServer?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let logger: Logger

    /// A router over every partition of a single node.
    ///
    /// - Throws: `NodeError.invalidConfiguration` when the node does not host every partition
    ///   (MQTT in a cluster of several nodes is not served yet).
    init(node: Node, settings: Settings, logger: Logger) throws(NodeError) {
        let partitionCount = node.configuration.partitionCount
        var feeds: [PartitionFeed] = []
        for index in 0..<partitionCount {
            guard let replica = node.replicas[PartitionID(UInt32(index))] else {
                throw .invalidConfiguration("--mqtt: this node does not host partition \(index); MQTT is served by single-node clusters for now")
            }
            feeds.append(PartitionFeed(partition: index, replica: replica, logger: logger))
        }
        let context = RouterContext(node: node, feeds: feeds, logger: logger)
        self.context = context
        self.shards = (0..<partitionCount).map { index in
            RouterShard(configuration: ShardConfiguration(partition: index, partitionCount: partitionCount, denyFilters: settings.denyFilters),
                router: context)
        }
        self.settings = settings
        self.logger = logger
    }

    /// Why the router could not serve (its partitions never settled, or its address could not
    /// be bound); nil while it serves or after a clean stop.
    var failure: NodeError? { failureState.withLock { $0 } }
    private let failureState = Mutex<NodeError?>(nil)

    /// Rebuilds every shard from the log, then serves MQTT until `stop()`; on failure, logs it,
    /// sets `failure` and returns.
    func run(group: any EventLoopGroup) async {
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
        await withTaskGroup(of: Void.self) { group in
            for feed in context.feeds {
                group.addTask { [shards] in
                    while !feed.isStopped { _ = await feed.step(shards: shards, waitTicks: 40) }
                }
            }
            group.addTask { [self] in await tick() }
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
        for shard in shards { shard.handle(.recovered) }
        let sessions = shards.reduce(0) { $0 + $1.counts.sessions }
        logger.info("mqtt: rebuilt \(sessions) sessions from the log in \(ContinuousClock.now - started)")
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
        let shard = ClientPlacement.partition(of: clientID, partitionCount: shards.count)
        context.connections.insert(ConnectionTable.Entry(shard: shard, connection: connection), for: connection.id.rawValue)
        shards[shard].handle(.connect(ConnectionToken(connection.id.rawValue), clientID: clientID, connect, epoch: UInt64.random(in: 1...UInt64.max)))
    }

    func received(_ packet: MQTTPacket, on connection: any MQTTConnection) {
        guard let entry = context.connections.entry(for: connection.id.rawValue) else { return }
        shards[entry.shard].handle(.packet(ConnectionToken(connection.id.rawValue), packet))
    }

    func closed(_ connection: any MQTTConnection, graceful: Bool, reason: String) {
        guard let entry = context.connections.remove(connection.id.rawValue) else { return }
        logger.debug("mqtt: \(connection.remoteDescription) closed: \(reason)")
        shards[entry.shard].handle(.closed(ConnectionToken(connection.id.rawValue), graceful: graceful))
    }

    func writable(_ connection: any MQTTConnection) {
        guard let entry = context.connections.entry(for: connection.id.rawValue) else { return }
        shards[entry.shard].handle(.writable(ConnectionToken(connection.id.rawValue)))
    }

    /// Messages indexed by topic over every partition, and the indexes' bytes: metrics.
    var indexFigures: (messages: Int, bytes: Int) {
        context.feeds.reduce((0, 0)) { ($0.0 + $1.indexFigures.messages, $0.1 + $1.indexFigures.bytes) }
    }

    /// Connections past CONNECT and sessions kept: metrics.
    var counts: (connections: Int, sessions: Int) {
        shards.reduce((0, 0)) { ($0.0 + $1.counts.connections, $0.1 + $1.counts.sessions) }
    }
}
