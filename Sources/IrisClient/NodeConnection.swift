import IrisClientProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// One TCP (or TLS) connection to a node, carrying any number of pipelined requests.
final class NodeConnection: Sendable {
    /// The address it was opened to.
    let address: String
    private let channel: any Channel
    private let router: NIOLoopBound<AnswerRouter>

    private init(address: String, channel: any Channel, router: NIOLoopBound<AnswerRouter>) {
        self.address = address
        self.channel = channel
        self.router = router
    }

    /// Whether the connection can still carry requests.
    var isActive: Bool { channel.isActive }

    /// Connects to `address`, sets up TLS when `tls` is given, and writes the preamble.
    static func open(address: String, tls: NIOSSLContext?, configuration: IrisClientConfiguration) -> EventLoopFuture<NodeConnection> {
        let group = MultiThreadedEventLoopGroup.singleton
        let endpoint: Endpoint
        do throws(IrisClientError) {
            endpoint = try Endpoint(parsing: address)
        } catch {
            return group.next().makeFailedFuture(error)
        }
        let limits = configuration.limits
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(configuration.connectTimeout.timeAmount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(AnswerRouter(limits: limits))
                }
            }
        return bootstrap.connect(host: endpoint.host, port: endpoint.port).flatMap { channel in
            channel.eventLoop.makeCompletedFuture {
                let router = try channel.pipeline.syncOperations.handler(type: AnswerRouter.self)
                channel.writeAndFlush(channel.allocator.buffer(bytes: ClientPreamble.bytes), promise: nil)
                return NodeConnection(address: address, channel: channel, router: NIOLoopBound(router, eventLoop: channel.eventLoop))
            }
        }
    }

    /// Sends `request` and waits for its answer, at most `timeout`.
    func request(_ request: ClientRequest, timeout: Duration) async throws -> ClientAnswer {
        let promise = channel.eventLoop.makePromise(of: ClientAnswer.self)
        let router = self.router
        channel.eventLoop.execute { router.value.send(request, promise: promise, timeout: timeout.timeAmount) }
        return try await promise.futureResult.get()
    }

    /// Starts a FOLLOW; its pushed answers arrive on the returned stream, which ends when the
    /// connection does. Returns the request ID to acknowledge batches with.
    func follow(_ request: FollowRequest) async throws -> (UInt64, AsyncStream<ClientAnswer>) {
        let (stream, continuation) = AsyncStream<ClientAnswer>.makeStream(bufferingPolicy: .bufferingOldest(8))
        let router = self.router
        let requestID = try await channel.eventLoop.submit { router.value.follow(request, answers: continuation) }.get()
        return (requestID, stream)
    }

    /// Asks for the next batch of FOLLOW `requestID`.
    func acknowledge(_ requestID: UInt64) {
        let router = self.router
        channel.eventLoop.execute { router.value.acknowledge(requestID) }
    }

    /// Closes the connection; requests still waiting fail.
    func close() {
        channel.close(promise: nil)
    }
}
