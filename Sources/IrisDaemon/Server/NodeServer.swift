import IrisClientProtocol
import IrisLog
import IrisMQTT
import IrisNode
import IrisReplication
import IrisRouterEdge
import IrisTransport
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// A node serving the network: its partitions (`Node`), the peer transport, and one listener
/// on its own address for peers and clients alike, told apart by their preamble (SPEC.md §14).
/// As a `Service`, it runs until graceful shutdown (SIGTERM): it stops accepting, lets each
/// partition finish what is queued, closes the logs, and returns.
package final class NodeServer: Service, Sendable {
    let node: Node
    let transport: PeerTransport
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    private let tls: PeerTLSContexts?
    private let listener = Mutex<(any Channel)?>(nil)
    /// Connections to the client port, clients and peers alike.
    let clientCap: ConnectionCap
    /// The MQTT broker, when the configuration names an MQTT address.
    let router: MQTTRouter?

    /// Opens the node's data directory and partitions; binds nothing until `run()`.
    ///
    /// - Throws: `NodeError` naming what to fix.
    package init(configuration: NodeConfiguration, logger: Logger) throws(NodeError) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: NodeDefaults.eventLoops)
        var contexts: PeerTLSContexts?
        if let directory = configuration.tlsDirectory {
            do {
                contexts = try PeerTLSContexts(directory: TLSDirectory(path: directory), nodeID: configuration.nodeID)
            } catch {
                throw .invalidConfiguration("TLS: \(error)")
            }
        }
        let limits: PeerWireLimits
        do {
            limits = try PeerWireLimits(
                partitionCount: configuration.partitionCount, frameBytesMax: PartitionSet.frameBytesMax,
                messageBytesMax: PartitionSet.messageBytesMax,
                peerFrameBytesMax: PeerWireLimits.peerFrameBytesNeeded(messageBytesMax: PartitionSet.messageBytesMax) + (256 << 10))
        } catch {
            throw .invalidConfiguration("peer limits: \(error)")
        }
        let nodeBox = NodeBox()
        let transport = PeerTransport(
            clusterID: configuration.clusterID, nodeID: configuration.nodeID, endpoints: configuration.members,
            limits: limits, bulkBytesMax: configuration.peerQueueBytesMax, tls: contexts, group: group, logger: logger,
            onMessages: { _, messages in
                guard let node = nodeBox.node else { return }
                for message in messages { node.deliver(partition: message.partition, message.envelope) }
            })
        let node = try Node(configuration: configuration, sender: TransportSender(transport: transport), logger: logger)
        nodeBox.node = node
        self.node = node
        let limit = DescriptorLimit.raiseSoftToHard()
        let budget = try DescriptorBudget(
            limit: limit, hostedPartitions: node.replicas.count, clientConnections: configuration.clientMaxConnections,
            mqttConnections: configuration.mqttMaxConnections, servesMQTT: configuration.mqttEndpoint != nil)
        logger.info(
            "open-file limit \(limit.soft) (hard \(limit.hard)): \(budget.reserve) kept for the node, at most \(budget.clientConnections) client\(budget.mqttConnections.map { " and \($0) MQTT" } ?? "") connections")
        clientCap = ConnectionCap(limit: budget.clientConnections, name: "client port", logger: logger)
        if let endpoint = configuration.mqttEndpoint {
            var filters: [TopicFilter] = []
            for text in configuration.mqttDenyFilters {
                do {
                    filters.append(try TopicFilter(validating: text))
                } catch {
                    throw .invalidConfiguration("--mqtt-deny-subscribe \(text): \(error)")
                }
            }
            var settings = MQTTRouter.Settings(endpoint: endpoint, peers: configuration.mqttPeers, denyFilters: filters)
            settings.checkpointPolicy.interval = configuration.mqttCheckpointInterval
            settings.maxConnections = budget.mqttConnections
            settings.listenBacklog = configuration.mqttListenBacklog
            router = try MQTTRouter(node: node, settings: settings, clientTLS: contexts?.client, group: group, logger: logger)
        } else {
            router = nil
        }
        self.transport = transport
        self.group = group
        self.tls = contexts
        self.logger = logger
    }

    /// Binds the listener, starts dialing peers and runs the partitions until graceful
    /// shutdown; then shuts everything down in order.
    package func run() async throws {
        let configuration = node.configuration
        let channel = try await bind(configuration.address)
        listener.withLock { $0 = channel }
        logger.info("node \(configuration.nodeID) serving peers and clients on \(configuration.address)\(tls == nil ? " (plain TCP: no --tls-dir given)" : " (mutual TLS)")")
        transport.start()
        await withGracefulShutdownHandler {
            // One executor per event loop, shared by the partitions' loops and their feeds.
            let executors = EventLoopTaskExecutor.all(of: group)
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await self.node.run(on: executors) }
                if let router {
                    tasks.addTask { [self] in
                        await router.run(on: executors)
                        if router.failure != nil {
                            // No MQTT, no node: the operator asked for both.
                            listener.withLock { $0 }?.close(promise: nil)
                            node.shutdown()
                        }
                    }
                }
            }
        } onGracefulShutdown: { [self] in
            logger.info("shutting down: no new connections; finishing queued work")
            listener.withLock { $0 }?.close(promise: nil)
            if let router {
                // Connections close first: their closed records reach the partitions before they stop.
                Task {
                    await router.stop()
                    node.shutdown()
                }
            } else {
                node.shutdown()
            }
        }
        await transport.shutdown()
        try? await channel.close().get()
        try? await group.shutdownGracefully()
        logger.info("node \(configuration.nodeID) stopped; logs closed")
        if let failure = router?.failure { throw failure }
    }

    /// Sets the gauges that are sampled rather than counted: leaders, per-peer queues.
    func sampleGauges() {
        let leaders = node.replicas.values.count { $0.status.role == .leader }
        node.metrics.leaders.record(leaders)
        for (peer, bytes) in transport.queuedBytes { NodeMetrics.peerQueueBytes(peer).record(bytes) }
        for (peer, dropped) in transport.droppedMessages { NodeMetrics.peerDropped(peer).record(dropped) }
        node.metrics.clientRefusedConnections.record(clientCap.refusedCount)
        if let router {
            node.metrics.mqttRefusedConnections.record(router.refusedConnections)
            let counts = router.counts
            node.metrics.mqttConnections.record(counts.connections)
            node.metrics.mqttSessions.record(counts.sessions)
            node.metrics.mqttPausedConnections.record(router.pausedConnections)
            let index = router.indexFigures
            node.metrics.mqttIndexedMessages.record(index.messages)
            node.metrics.mqttIndexBytes.record(index.bytes)
        }
    }

    private func bind(_ address: Endpoint) async throws -> any Channel {
        let service = NodeClientService(node: node)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard try clientCap.admit(channel) else { return }
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.server))
                    }
                    try channel.pipeline.syncOperations.addHandler(ConnectionPreambleHandler(logger: logger) { [self] kind, channel in
                        switch kind {
                        case .peer: transport.configureAccepted(channel)
                        case .client: ClientConnection.configure(channel: channel, service: service, logger: logger)
                        }
                    })
                }
            }
        do {
            return try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch {
            throw NodeError.bind(address, "\(error)")
        }
    }
}

/// The node, set once it exists (the transport is made before it and delivers to it).
private final class NodeBox: Sendable {
    private let value = Mutex<Node?>(nil)
    var node: Node? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// The partitions' view of the transport.
struct TransportSender: PeerSender {
    let transport: PeerTransport
    func send(partition: PartitionID, _ envelope: Envelope) { transport.send(partition: partition, envelope) }
}
