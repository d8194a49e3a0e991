import IrisClientProtocol
import IrisTransport
import Logging
import NIOCore
import NIOPosix

/// A real NIO server on 127.0.0.1 (port chosen by the kernel) with the preamble sniffer and
/// the client connection handler in front of a `ClientService`.
struct ClientTestServer {
    let channel: any Channel
    let address: String

    static func start(_ service: any ClientService, configuration: ClientConnectionConfiguration = ClientConnectionConfiguration()) async throws -> ClientTestServer {
        var logger = Logger(label: "client-test-server")
        logger.logLevel = .critical
        let quiet = logger
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionPreambleHandler(logger: quiet) { kind, channel in
                        guard kind == .client else { return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState) }
                        return ClientConnection.configure(channel: channel, service: service, logger: quiet, configuration: configuration)
                    })
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        return ClientTestServer(channel: channel, address: "127.0.0.1:\(channel.localAddress!.port!)")
    }

    func stop() async {
        try? await channel.close()
    }
}

/// A bare TCP connection that writes bytes and collects what comes back until the first
/// whole frame or the connection's end.
enum RawClient {
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let done: EventLoopPromise<[UInt8]>
        var bytes: [UInt8] = []

        init(done: EventLoopPromise<[UInt8]>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
            if bytes.count >= 4 {
                let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
                if bytes.count >= length + 4 { done.succeed(bytes) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) { done.succeed(bytes) }
    }

    /// Sends `bytes` to `address` and returns what came back (empty when the server closed
    /// at once); gives up after 10 s.
    static func exchange(_ bytes: [UInt8], with address: String) async throws -> [UInt8] {
        let port = Int(address.split(separator: ":").last!)!
        let group = MultiThreadedEventLoopGroup.singleton
        let done = group.next().makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: done)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let timeout = group.next().scheduleTask(in: .seconds(10)) { done.fail(ChannelError.connectTimeout(.seconds(10))) }
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
        defer { timeout.cancel(); channel.close(promise: nil) }
        return try await done.futureResult.get()
    }
}
