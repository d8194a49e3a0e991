import IrisReplication
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The node's peer connections: one TCP (or TLS) connection per node pair carries the messages
/// of every partition both ways; the node with the lower ID dials, the other accepts (SPEC.md
/// §14.3). Messages are best effort: while a peer is unreachable they are dropped, and the
/// replication protocol resends what matters.
public final class PeerTransport: Sendable {
    /// This node.
    public let nodeID: NodeID
    let endpoints: [NodeID: Endpoint]
    let limits: PeerWireLimits
    let receiver: PeerWireReceiver
    let logger: Logger
    private let links: [NodeID: PeerLink]
    private let group: any EventLoopGroup
    private let tls: PeerTLSContexts?
    private let onMessages: @Sendable (NodeID, [PartitionMessage]) -> Void
    private let dialers = Mutex<[Task<Void, Never>]>([])

    /// A transport for node `nodeID` of cluster `clusterID`, whose nodes are at `endpoints`.
    ///
    /// - Parameters:
    ///   - bulkBytesMax: most bytes of AppendRequests queued per peer (SPEC.md §14.3).
    ///   - tls: mutual-TLS contexts; nil for plain TCP.
    ///   - onMessages: receives every decoded message, on a connection's event loop; it must not block.
    public init(
        clusterID: ClusterID, nodeID: NodeID, endpoints: [NodeID: Endpoint], limits: PeerWireLimits,
        bulkBytesMax: Int, tls: PeerTLSContexts?, group: any EventLoopGroup, logger: Logger,
        onMessages: @escaping @Sendable (NodeID, [PartitionMessage]) -> Void
    ) {
        self.nodeID = nodeID
        self.endpoints = endpoints
        self.limits = limits
        self.receiver = PeerWireReceiver(clusterID: clusterID, nodeID: nodeID, members: Set(endpoints.keys))
        self.group = group
        self.tls = tls
        self.logger = logger
        self.onMessages = onMessages
        var links: [NodeID: PeerLink] = [:]
        for peer in endpoints.keys where peer != nodeID {
            links[peer] = PeerLink(
                peer: peer, header: PeerFrameHeader(clusterID: clusterID, from: nodeID, to: peer), limits: limits,
                bulkBytesMax: bulkBytesMax)
        }
        self.links = links
    }

    /// Queues `envelope` for its recipient, tagged with its partition.
    public func send(partition: PartitionID, _ envelope: Envelope) {
        links[envelope.to]?.send(PartitionMessage(partition: partition, envelope: envelope))
    }

    /// Bytes of bulk messages queued for each peer.
    public var queuedBytes: [NodeID: Int] { links.mapValues(\.queuedBytes) }
    /// Messages dropped so far for each peer (unreachable, or its queue full).
    public var droppedMessages: [NodeID: Int] { links.mapValues { $0.dropped.load(ordering: .relaxed) } }
    /// Peers with a connection now.
    public var connectedPeers: [NodeID] { links.filter { $0.value.isConnected }.map(\.key).sorted() }

    func link(to peer: NodeID) -> PeerLink? { links[peer] }

    func received(_ messages: [PartitionMessage], from peer: NodeID) { onMessages(peer, messages) }

    /// Succeeds when the connection's TLS certificate names `peer` (always, without TLS).
    func verifyIdentity(of peer: NodeID, on channel: any Channel) -> EventLoopFuture<Void> {
        guard tls != nil else { return channel.eventLoop.makeSucceededVoidFuture() }
        return PeerTLSContexts.requireNode(peer, on: channel)
    }

    /// Installs the peer handlers on an accepted connection whose preamble was read.
    public func configureAccepted(_ channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PeerFrameDecoder(limits: limits, receiver: receiver)))
            try channel.pipeline.syncOperations.addHandler(PeerChannelHandler(side: .acceptor, transport: self))
        }
    }

    /// Starts dialing every peer with a higher ID, and keeps redialing (backoff 50 ms to 1 s)
    /// until `shutdown()`.
    public func start() {
        let tasks = endpoints.keys.filter { $0 > nodeID }.sorted().map { peer in
            Task { await dialLoop(peer) }
        }
        dialers.withLock { $0 += tasks }
    }

    /// Stops dialing and closes every connection.
    public func shutdown() async {
        let tasks = dialers.withLock { $0 }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    private func dialLoop(_ peer: NodeID) async {
        guard let endpoint = endpoints[peer], let own = endpoints[nodeID] else { return }
        var backoff = 50
        while !Task.isCancelled {
            do {
                let channel = try await dial(peer, at: endpoint, from: own)
                backoff = 50
                await withTaskCancellationHandler {
                    try? await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
            } catch {
                logger.debug("dialing node \(peer) at \(endpoint): \(error)")
            }
            try? await Task.sleep(for: .milliseconds(backoff))
            backoff = min(backoff * 2, 1_000)
        }
    }

    private func dial(_ peer: NodeID, at endpoint: Endpoint, from own: Endpoint) async throws -> any Channel {
        let source = try SocketAddress.makeAddressResolvingHost(own.host, port: 0)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(to: source)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls.client, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PeerFrameDecoder(limits: limits, receiver: receiver)))
                    try channel.pipeline.syncOperations.addHandler(PeerChannelHandler(side: .dialer(peer: peer), transport: self))
                }
            }
        return try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
    }
}
